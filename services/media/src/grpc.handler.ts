import { Injectable } from '@nestjs/common';
import { unaryHandlers, type Logger } from '@switchboard/platform';
import type * as proto from '@switchboard/proto';
import { CallsHandler } from './calls/calls.handler.js';
import { IceHandler } from './ice/ice.handler.js';
import { SfuHandler } from './sfu/sfu.handler.js';

/**
 * gRPC entry for MediaService: maps methods to the domains, nothing more. (`sb.cmd.media.*`
 * is served by MediaCommandsHandler from the domains' `@Command` methods.)
 */
@Injectable()
export class MediaGrpcHandler {
  constructor(
    private readonly ice: IceHandler,
    private readonly calls: CallsHandler,
    private readonly sfu: SfuHandler,
  ) {}

  implementation(logger: Logger) {
    return unaryHandlers<proto.media.MediaServiceServer>({ ...this.ice.grpc(), ...this.calls.grpc(), ...this.sfu.grpc() }, logger);
  }
}
