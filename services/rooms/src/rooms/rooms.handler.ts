import { Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { CommandBus, unaryHandlers, type Logger, type Subscription } from '@switchboard/platform';
import type * as proto from '@switchboard/proto';
import { ApprovalsHandler } from '../approvals/approvals.handler.js';
import { AttachmentsHandler } from '../attachments/attachments.handler.js';
import { AttachmentsService } from '../attachments/attachments.service.js';
import { ChannelsHandler } from '../channels/channels.handler.js';
import { ChatHandler } from '../chat/chat.handler.js';
import { EmojiHandler } from '../emoji/emoji.handler.js';
import { EmojiService } from '../emoji/emoji.service.js';
import { FloorHandler } from '../floor/floor.handler.js';
import { VoiceService } from '../voice/voice.service.js';
import { ModerationHandler } from '../moderation/moderation.handler.js';
import { ModerationService } from '../moderation/moderation.service.js';
import { SessionsHandler } from '../sessions/sessions.handler.js';
import { LobbyService } from '../lobby/lobby.service.js';
import { RoomsService } from './rooms.service.js';

/**
 * NATS entry for `sb.cmd.rooms.*`: maps verbs to the services, nothing more. One
 * subscription serves every domain's verbs, because replicas share one queue group per
 * service and a message must reach a subscriber that knows its verb.
 */
@Injectable()
export class RoomsHandler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private sub?: Subscription;

  constructor(
    private readonly bus: CommandBus,
    private readonly rooms: RoomsService,
    private readonly chat: ChatHandler,
    private readonly attachments: AttachmentsHandler,
    private readonly channels: ChannelsHandler,
    private readonly emoji: EmojiHandler,
    private readonly floor: FloorHandler,
    private readonly moderation: ModerationHandler,
    private readonly approvals: ApprovalsHandler,
    private readonly sessions: SessionsHandler,
    private readonly lobby: LobbyService,
  ) {}

  onApplicationBootstrap() {
    this.sub = this.bus.serve('rooms', {
        'room.create': (data, caller) => this.rooms.create(caller, data),
        'room.join': (data, caller) => this.rooms.join(caller, data),
        'room.leave': (data, caller) => this.rooms.leave(caller, data),
        'room.get': (data, caller) => this.rooms.get(caller, data),
        'room.participants': (data, caller) => this.rooms.participantsOf(caller, data),
        'room.list': (data, caller) => this.rooms.list(caller, data),
        'rooms.subscribe': (data) => this.lobby.snapshot(data),
        'room.update': (data, caller) => this.rooms.update(caller, data),
        'room.close': (data, caller) => this.rooms.close(caller, data),
        'room.broadcast': (data, caller) => this.rooms.broadcast(caller, data),
        ...this.moderation.commands(),
        ...this.approvals.commands(),
        ...this.chat.commands(),
        ...this.attachments.commands(),
        ...this.channels.commands(),
        ...this.emoji.commands(),
        ...this.floor.commands(),
        ...this.sessions.commands(),
    });
  }

  async beforeApplicationShutdown() {
    await this.sub?.drain();
  }
}

/** gRPC entry (admin API and other services): same services, typed proto messages. */
@Injectable()
export class RoomsGrpcHandler {
  constructor(
    private readonly rooms: RoomsService,
    private readonly moderation: ModerationService,
    private readonly attachments: AttachmentsService,
    private readonly voice: VoiceService,
    private readonly emoji: EmojiService,
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
        postVoiceMessage: (req) => this.voice.post(req),
        listEmoji: (req) => this.emoji.adminList(req.roomId),
        deleteEmoji: async (req) => {
          await this.rooms.openRoom(req.roomId);
          await this.emoji.remove(req.roomId, req.name);
          return {};
        },
      },
      logger,
    );
  }
}
