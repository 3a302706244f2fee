import { Module, type DynamicModule } from '@nestjs/common';
import { PlatformModule, Sweeper, type Platform } from '@switchboard/platform';
import { ApprovalsModule } from './approvals/approvals.module.js';
import { AttachmentsModule } from './attachments/attachments.module.js';
import { ChannelsModule } from './channels/channels.module.js';
import { ChatModule } from './chat/chat.module.js';
import { RoomsCommandsHandler } from './commands.handler.js';
import { EmojiModule } from './emoji/emoji.module.js';
import { FloorModule } from './floor/floor.module.js';
import { RoomsGrpcHandler } from './grpc.handler.js';
import { LobbyModule } from './lobby/lobby.module.js';
import { ModerationModule } from './moderation/moderation.module.js';
import { RoomsModule } from './rooms/rooms.module.js';
import { SessionsModule } from './sessions/sessions.module.js';
import { VoiceModule } from './voice/voice.module.js';

/**
 * Rooms service: one module per domain, each exporting its services (never its stores), and
 * shared infra in DbModule and RoomsPlatformModule (ADR 0074). The root holds only the entries
 * that span domains: the NATS verb router (RoomsCommandsHandler, which finds every domain's
 * `@Command` methods at boot, ADR 0040), the gRPC map and the sweeper.
 */
@Module({})
export class AppModule {
  static register(platform: Platform): DynamicModule {
    return {
      module: AppModule,
      imports: [
        PlatformModule.forPlatform(platform),
        RoomsModule,
        ModerationModule,
        ApprovalsModule,
        AttachmentsModule,
        ChannelsModule,
        EmojiModule,
        ChatModule,
        VoiceModule,
        FloorModule,
        SessionsModule,
        LobbyModule,
      ],
      providers: [Sweeper, RoomsCommandsHandler, RoomsGrpcHandler],
    };
  }
}
