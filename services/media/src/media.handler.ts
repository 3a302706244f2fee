import { Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { CommandBus, unaryHandlers, type Logger, type Subscription } from '@switchboard/platform';
import type * as proto from '@switchboard/proto';
import { CallsHandler } from './calls/calls.handler.js';
import { ChunksHandler } from './chunks/chunks.handler.js';
import { IceHandler } from './ice/ice.handler.js';
import { SessionsHandler } from './sessions/sessions.handler.js';
import { RecordingsHandler } from './ptt/recordings.handler.js';
import { SfuHandler } from './sfu/sfu.handler.js';

/**
 * NATS entry for `sb.cmd.media.*` and the gRPC MediaService: maps verbs and methods to the
 * domains, nothing more. One subscription serves every domain's verbs, because replicas share
 * one queue group per service and a message must reach a subscriber that knows its verb.
 */
@Injectable()
export class MediaHandler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private sub?: Subscription;

  constructor(
    private readonly bus: CommandBus,
    private readonly ice: IceHandler,
    private readonly calls: CallsHandler,
    private readonly chunks: ChunksHandler,
    private readonly sessions: SessionsHandler,
    private readonly sfu: SfuHandler,
    private readonly recordings: RecordingsHandler,
  ) {}

  onApplicationBootstrap() {
    this.sub = this.bus.serve('media', {
        ...this.ice.commands(),
        ...this.calls.commands(),
        ...this.chunks.commands(),
        ...this.sessions.commands(),
        ...this.sfu.commands(),
        ...this.recordings.commands(),
    });
  }

  async beforeApplicationShutdown() {
    await this.sub?.drain();
  }

  grpc(logger: Logger) {
    return unaryHandlers<proto.media.MediaServiceServer>({ ...this.ice.grpc(), ...this.calls.grpc(), ...this.sfu.grpc() }, logger);
  }
}
