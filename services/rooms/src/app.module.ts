import { Module, type DynamicModule } from '@nestjs/common';
import { DueStore, ObjectStorage, PlatformModule, RoomEventsPublisher, Sweeper, WindowCounter, type Platform } from '@switchboard/platform';
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
import { prismaModule } from './db/prisma.provider.js';
import { EmojiHandler } from './emoji/emoji.handler.js';
import { EmojiService } from './emoji/emoji.service.js';
import { EmojiStore } from './emoji/emoji.store.js';
import { LobbyTrackingPublisher } from './lobby/lobby.publisher.js';
import { LobbyService } from './lobby/lobby.service.js';
import { FloorHandler } from './floor/floor.handler.js';
import { FloorService } from './floor/floor.service.js';
import { FloorStore } from './floor/floor.store.js';
import { ModerationHandler } from './moderation/moderation.handler.js';
import { ModerationService } from './moderation/moderation.service.js';
import { ModerationStore } from './moderation/moderation.store.js';
import { ParticipantsStore } from './rooms/participants.store.js';
import { RoomFlagsStore } from './rooms/room-flags.store.js';
import { RoomsGrpcHandler, RoomsHandler } from './rooms/rooms.handler.js';
import { RoomsService } from './rooms/rooms.service.js';
import { RoomsStore } from './rooms/rooms.store.js';
import { SessionsHandler } from './sessions/sessions.handler.js';
import { SessionsService } from './sessions/sessions.service.js';
import { SessionsStore } from './sessions/sessions.store.js';

@Module({})
export class AppModule {
  static register(platform: Platform): DynamicModule {
    return {
      module: AppModule,
      imports: [PlatformModule.forPlatform(platform)],
      providers: [
        ...prismaModule,
        LobbyService,
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
      ],
    };
  }
}
