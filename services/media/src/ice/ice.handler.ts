import { Injectable } from '@nestjs/common';
import type * as proto from '@switchboard/proto';
import { badRequest, Id, type CommandData, type RequestData } from '@switchboard/protocol';
import { IceService } from './ice.service.js';
import type { Caller } from '@switchboard/platform';
import { Command } from '../command.js';

/** `ice.servers` (served by the media root handler) and the ICE part of the gRPC API. */
@Injectable()
export class IceHandler {
  constructor(private readonly ice: IceService) {}

  @Command('ice.servers')
  servers(_data: CommandData<'ice.servers'>, caller: Caller) {
    return this.ice.iceServers(caller.userId);
  }

  /** Internal (gateway → media): the ICE servers of the `hello`s of one gateway tick, one entry per distinct user. */
  @Command('ice.for_users')
  forUsers(data: RequestData<'media', 'ice.for_users'>) {
    return { users: [...new Set(data.userIds)].map((userId) => ({ userId, ...this.ice.iceServers(userId) })) };
  }

  grpc() {
    return {
      getIceServers: async (req: proto.media.GetIceServersRequest): Promise<proto.media.GetIceServersResponse> => {
        if (!Id.safeParse(req.userId).success) throw badRequest('userId must match [A-Za-z0-9_-]{1,64}');
        const { iceServers } = this.ice.iceServers(req.userId);
        return { iceServers: iceServers.map((s) => ({ urls: s.urls, username: s.username ?? '', credential: s.credential ?? '' })) };
      },
    };
  }
}
