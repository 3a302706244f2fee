import { Module, type DynamicModule } from '@nestjs/common';
import { DueStore, natsInboxPrefix, ObjectStorage, PlatformModule, ROOM_EVENT_ACKS, RoomEventsPublisher, StreamAcks, Sweeper, WindowCounter, type Platform } from '@switchboard/platform';
import { ApprovalsHandler } from './approvals/approvals.handler.js';
import { ApprovalsService } from './approvals/approvals.service.js';
import { ApprovalsStore } from './approvals/approvals.store.js';
import { AttachmentsHandler } from './attachments/attachments.handler.js';
import { AttachmentsMetrics } from './attachments/attachments.metrics.js';
import { AttachmentsService } from './attachments/attachments.service.js';
import { AttachmentsStore } from './attachments/attachments.store.js';
import { VoiceService } from './voice/voice.service.js';
import { VoiceStore } from './voice/voice.store.js';
import { ChannelsHandler } from './channels/channels.handler.js';
import { ChannelsService } from './channels/channels.service.js';
import { ChannelsStore } from './channels/channels.store.js';
import { ChatHandler } from './chat/chat.handler.js';
import { ChatService } from './chat/chat.service.js';
import { ChatStore } from './chat/chat.store.js';
import { RoomsCommandsHandler } from './commands.handler.js';
import { prismaModule } from './db/prisma.provider.js';
import { SqlPool } from './db/sql.pool.js';
import { EmojiHandler } from './emoji/emoji.handler.js';
import { EmojiService } from './emoji/emoji.service.js';
import { EmojiStore } from './emoji/emoji.store.js';
import { LobbyTrackingPublisher } from './lobby/lobby.publisher.js';
import { LobbyHandler } from './lobby/lobby.handler.js';
import { LobbyService } from './lobby/lobby.service.js';
import { FloorHandler } from './floor/floor.handler.js';
import { FloorService } from './floor/floor.service.js';
import { FloorStore } from './floor/floor.store.js';
import { ModerationHandler } from './moderation/moderation.handler.js';
import { ModerationService } from './moderation/moderation.service.js';
import { ModerationStore } from './moderation/moderation.store.js';
import { ParticipantsStore } from './rooms/participants.store.js';
import { RoomFlagsStore } from './rooms/room-flags.store.js';
import { RoomsGrpcHandler } from './grpc.handler.js';
import { RoomsHandler } from './rooms/rooms.handler.js';
import { RoomsService } from './rooms/rooms.service.js';
import { RoomsStore } from './rooms/rooms.store.js';
import { SessionsHandler } from './sessions/sessions.handler.js';
import { SessionsService } from './sessions/sessions.service.js';
import { SessionsStore } from './sessions/sessions.store.js';
import type { RoomsConfig } from './config.js';

/** Resent after 1 s without an ack (a stream leader election), given up after 30 s. */
const ACK_RESEND_MS = 1000;
const ACK_GIVE_UP_MS = 30_000;

const ackWindow = (platform: Platform) => (platform.config as RoomsConfig).ROOM_EVENTS_ACK_WINDOW;

function roomEventAcks(platform: Platform): StreamAcks {
  return new StreamAcks(platform.nc, natsInboxPrefix(platform.config.NATS_USER ?? platform.service), { window: ackWindow(platform), ackTimeoutMs: ACK_RESEND_MS, giveUpMs: ACK_GIVE_UP_MS });
}

@Module({})
export class AppModule {
  static register(platform: Platform): DynamicModule {
    return {
      module: AppModule,
      imports: [PlatformModule.forPlatform(platform)],
      providers: [
        ...prismaModule,
        SqlPool,
        LobbyService,
        LobbyHandler,
        // Rooms owns the room event streams (service.ts creates them before serving), so its
        // events are published with stream acks (ADR 0048); ROOM_EVENTS_ACK_WINDOW=0 turns that off.
        ...(ackWindow(platform) > 0 ? [{ provide: ROOM_EVENT_ACKS, useValue: roomEventAcks(platform) }] : []),
        { provide: RoomEventsPublisher, useClass: LobbyTrackingPublisher },
        DueStore,
        WindowCounter,
        Sweeper,
        ParticipantsStore,
        RoomFlagsStore,
        RoomsStore,
        RoomsService,
        RoomsHandler,
        RoomsGrpcHandler,
        ModerationStore,
        ModerationService,
        ModerationHandler,
        ApprovalsStore,
        ApprovalsService,
        ApprovalsHandler,
        ChatStore,
        ChatService,
        ChatHandler,
        ObjectStorage,
        AttachmentsStore,
        AttachmentsMetrics,
        AttachmentsService,
        AttachmentsHandler,
        VoiceStore,
        VoiceService,
        ChannelsStore,
        ChannelsService,
        ChannelsHandler,
        EmojiStore,
        EmojiService,
        EmojiHandler,
        FloorStore,
        FloorService,
        FloorHandler,
        SessionsStore,
        SessionsService,
        SessionsHandler,
        RoomsCommandsHandler,
      ],
    };
  }
}
