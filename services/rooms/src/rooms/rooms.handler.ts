import { Injectable } from '@nestjs/common';
import { unaryHandlers, type Caller, type Logger } from '@switchboard/platform';
import type * as proto from '@switchboard/proto';
import type { CommandData } from '@switchboard/protocol';
import { AttachmentsService } from '../attachments/attachments.service.js';
import { Command } from '../command.js';
import { ModerationService } from '../moderation/moderation.service.js';
import { RoomsService } from './rooms.service.js';

/** NATS entry for the room lifecycle verbs `room.*` (served by RoomsCommandsHandler). */
@Injectable()
export class RoomsHandler {
  constructor(private readonly rooms: RoomsService) {}

  @Command('room.create')
  create(data: CommandData<'room.create'>, caller: Caller) {
    return this.rooms.create(caller, data);
  }

  @Command('room.join')
  join(data: CommandData<'room.join'>, caller: Caller) {
    return this.rooms.join(caller, data);
  }

  @Command('room.leave')
  leave(data: CommandData<'room.leave'>, caller: Caller) {
    return this.rooms.leave(caller, data);
  }

  @Command('room.get')
  get(data: CommandData<'room.get'>, caller: Caller) {
    return this.rooms.get(caller, data);
  }

  @Command('room.participants')
  participants(data: CommandData<'room.participants'>, caller: Caller) {
    return this.rooms.participantsOf(caller, data);
  }

  @Command('room.list')
  list(data: CommandData<'room.list'>, caller: Caller) {
    return this.rooms.list(caller, data);
  }

  @Command('room.update')
  update(data: CommandData<'room.update'>, caller: Caller) {
    return this.rooms.update(caller, data);
  }

  @Command('room.close')
  close(data: CommandData<'room.close'>, caller: Caller) {
    return this.rooms.close(caller, data);
  }

  @Command('room.broadcast')
  broadcast(data: CommandData<'room.broadcast'>, caller: Caller) {
    return this.rooms.broadcast(caller, data);
  }
}

/** gRPC entry (admin API and other services): same services, typed proto messages. */
@Injectable()
export class RoomsGrpcHandler {
  constructor(
    private readonly rooms: RoomsService,
    private readonly moderation: ModerationService,
    private readonly attachments: AttachmentsService,
  ) {}

  implementation(logger: Logger) {
    return unaryHandlers<proto.rooms.RoomsServiceServer>(
      {
        getRoom: (req) => this.rooms.adminGet(req.roomId),
        checkMembership: (req) => this.rooms.membership(req.roomId, req.userId),
        listRooms: (req) => this.rooms.adminList(req),
        closeRoom: async (req) => {
          await this.rooms.closeRoom(req.roomId);
          return {};
        },
        listParticipants: async (req) => ({ participants: (await this.rooms.adminGet(req.roomId)).participants }),
        removeUser: async (req) => {
          await this.moderation.removeUser(req.roomId, req.userId, req.ban ? 'banned' : 'kicked', req.reason || undefined, req.actor || 'admin');
          return {};
        },
        listAttachments: (req) => this.attachments.adminList(req),
        deleteAttachment: async (req) => {
          await this.attachments.adminDelete(req.roomId, req.attachmentId);
          return {};
        },
      },
      logger,
    );
  }
}
