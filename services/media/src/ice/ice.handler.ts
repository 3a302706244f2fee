import { Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { CommandBus, unaryHandlers, type Logger, type Subscription } from '@switchboard/platform';
import type * as proto from '@switchboard/proto';
import { badRequest, Id, unavailable } from '@switchboard/protocol';
import { IceService } from './ice.service.js';

/** Media verbs whose owner is not built yet answer a typed `unavailable` (README, "What is built"). */
const NOT_BUILT = ['call.start', 'call.accept', 'call.decline', 'call.end', 'media.token', 'chunk.announce', 'chunk.request', 'chunk.push'];

/** NATS (`sb.cmd.media.*`) and gRPC entry for ICE servers. */
@Injectable()
export class IceHandler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private sub?: Subscription;

  constructor(
    private readonly bus: CommandBus,
    private readonly ice: IceService,
  ) {}

  onApplicationBootstrap() {
    const notBuilt = (_data: unknown, _caller: unknown, verb: string) => {
      throw unavailable(`${verb} is not available yet: calls, LiveKit tokens and chunks are not built`);
    };
    this.sub = this.bus.serve('media', {
      'ice.servers': (_data, caller) => this.ice.iceServers(caller.userId),
      ...Object.fromEntries(NOT_BUILT.map((verb) => [verb, notBuilt])),
    });
  }

  async beforeApplicationShutdown() {
    await this.sub?.drain();
  }

  grpc(logger: Logger) {
    return unaryHandlers<proto.media.MediaServiceServer>(
      {
        getIceServers: async (req) => {
          if (!Id.safeParse(req.userId).success) throw badRequest('userId must match [A-Za-z0-9_-]{1,64}');
          const { iceServers } = this.ice.iceServers(req.userId);
          return { iceServers: iceServers.map((s) => ({ urls: s.urls, username: s.username ?? '', credential: s.credential ?? '' })) };
        },
        mintToken: () => Promise.reject(unavailable('LiveKit tokens are not built yet')),
      },
      logger,
    );
  }
}
