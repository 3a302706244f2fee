import { Injectable } from '@nestjs/common';
import { unaryHandlers, type Logger } from '@switchboard/platform';
import type * as proto from '@switchboard/proto';
import { AttachmentsService } from './attachments/attachments.service.js';
import { EmojiService } from './emoji/emoji.service.js';
import { ModerationService } from './moderation/moderation.service.js';
import { RoomsService } from './rooms/rooms.service.js';
import { VoiceService } from './voice/voice.service.js';

/** gRPC entry for RoomsService (admin API and other services): maps proto methods to the domains' services. */
@Injectable()
export class RoomsGrpcHandler {
  constructor(
    private readonly rooms: RoomsService,
    private readonly moderation: ModerationService,
    private readonly attachments: AttachmentsService,
    private readonly emoji: EmojiService,
    private readonly voice: VoiceService,
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
