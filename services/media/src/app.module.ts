import { Module, type DynamicModule } from '@nestjs/common';
import { CONFIG, DueStore, PlatformModule, RoomEventsPublisher, Sweeper, type Platform } from '@switchboard/platform';
import { CallLogService } from './calls/call-log.service.js';
import { CallLogStore } from './calls/call-log.store.js';
import { CallsHandler } from './calls/calls.handler.js';
import { CallsService } from './calls/calls.service.js';
import { CallsStore } from './calls/calls.store.js';
import { ChunkCacheStore } from './chunks/chunk-cache.store.js';
import { ChunksHandler } from './chunks/chunks.handler.js';
import { ChunksService } from './chunks/chunks.service.js';
import { ChunksStore } from './chunks/chunks.store.js';
import { prismaModule } from './db/prisma.provider.js';
import { IceHandler } from './ice/ice.handler.js';
import { IceService } from './ice/ice.service.js';
import { MediaCommandsHandler } from './commands.handler.js';
import { MediaGrpcHandler } from './grpc.handler.js';
import { PttMetrics } from './ptt/ptt.metrics.js';
import { RecordingsHandler } from './ptt/recordings.handler.js';
import { RecordingsService } from './ptt/recordings.service.js';
import { MediaMetrics } from './metrics/media.metrics.js';
import { RoomsClient } from './rooms/rooms.client.js';
import { SessionsHandler } from './sessions/sessions.handler.js';
import { livekitSettings, type MediaConfig } from './config.js';
import { LivekitClient } from './sfu/livekit.client.js';
import { LivekitSfu } from './sfu/livekit.sfu.js';
import { NoSfu, SfuAccess } from './sfu/sfu.access.js';
import { SfuHandler } from './sfu/sfu.handler.js';
import { SfuMetrics } from './sfu/sfu.metrics.js';
import { SfuService } from './sfu/sfu.service.js';
import { SfuStore } from './sfu/sfu.store.js';
import { WebhooksController } from './sfu/webhooks.controller.js';
import { WebhooksService } from './sfu/webhooks.service.js';

/** Media service: ICE/TURN, calls (state in Redis, log in Postgres), chunk distribution, LiveKit (tokens, enforcement, webhooks). */
@Module({})
export class AppModule {
  static register(platform: Platform): DynamicModule {
    return {
      module: AppModule,
      imports: [PlatformModule.forPlatform(platform)],
      controllers: [WebhooksController],
      providers: [
        ...prismaModule,
        RoomEventsPublisher,
        DueStore,
        Sweeper,
        MediaMetrics,
        RoomsClient,
        SfuMetrics,
        SfuStore,
        LivekitClient,
        LivekitSfu,
        // LiveKit when it is configured; otherwise SFU requests answer `unavailable` saying why.
        { provide: SfuAccess, inject: [CONFIG, LivekitSfu], useFactory: (c: MediaConfig, lk: LivekitSfu) => (livekitSettings(c) ? lk : new NoSfu(c.LIVEKIT_UNAVAILABLE_REASON)) },
        SfuService,
        WebhooksService,
        SfuHandler,
        IceService,
        IceHandler,
        CallsStore,
        CallLogStore,
        CallLogService,
        CallsService,
        CallsHandler,
        ChunksStore,
        ChunkCacheStore,
        ChunksService,
        ChunksHandler,
        SessionsHandler,
        MediaCommandsHandler,
        MediaGrpcHandler,
        PttMetrics,
        RecordingsService,
        RecordingsHandler,
      ],
    };
  }
}
