import { Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { CommandBus, unaryHandlers, type Logger, type Subscription } from '@switchboard/platform';
import type * as proto from '@switchboard/proto';
import { ProtocolError } from '@switchboard/protocol';
import { RoomsService } from './rooms.service.js';

/** NATS entry for `sb.cmd.rooms.*`: maps verbs to the service, nothing more. */
@Injectable()
export class RoomsHandler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private sub?: Subscription;

  constructor(
    private readonly bus: CommandBus,
    private readonly rooms: RoomsService,
  ) {}

  onApplicationBootstrap() {
    this.sub = this.bus.serve('rooms', {
      'room.create': (data, caller) => this.rooms.create(caller, data),
      'room.join': (data, caller) => this.rooms.join(caller, data),
      'room.leave': (data, caller) => this.rooms.leave(caller, data),
      'room.get': (data, caller) => this.rooms.get(caller, data),
    });
  }

  async beforeApplicationShutdown() {
    await this.sub?.drain();
  }
}

/** gRPC entry (admin API and other services): same service, typed proto messages. */
@Injectable()
export class RoomsGrpcHandler {
  constructor(private readonly rooms: RoomsService) {}

  implementation(logger: Logger) {
    return unaryHandlers<proto.rooms.RoomsServiceServer>(
      {
        getRoom: (req) => this.rooms.adminGet(req.roomId),
        checkMembership: (req) => this.rooms.membership(req.roomId, req.userId),
        listRooms: () => Promise.reject(new ProtocolError('unavailable', 'ListRooms is not built yet')),
        closeRoom: () => Promise.reject(new ProtocolError('unavailable', 'CloseRoom is not built yet')),
        listParticipants: async (req) => ({ participants: (await this.rooms.adminGet(req.roomId)).participants }),
        removeUser: () => Promise.reject(new ProtocolError('unavailable', 'RemoveUser is not built yet')),
      },
      logger,
    );
  }
}
