import { Module } from '@nestjs/common';
import { prismaModule } from '../db/prisma.provider.js';
import { MetricsModule } from '../metrics/metrics.module.js';
import { MediaPlatformModule } from '../platform.module.js';
import { RoomsClientModule } from '../rooms/rooms.module.js';
import { CallLogService } from './call-log.service.js';
import { CallLogStore } from './call-log.store.js';
import { CallsHandler } from './calls.handler.js';
import { CallsService } from './calls.service.js';
import { CallsStore } from './calls.store.js';

/**
 * Calls (`call.*`): state in Redis, the log in Postgres (the only Postgres user, so the client
 * lives here). SFU-mode calls get their grants from `SfuAccess`, which SfuModule provides
 * globally (it depends on this module's CallsService, so this one cannot import it back).
 * The handler is exported for the root gRPC entry.
 */
@Module({
  imports: [MetricsModule, MediaPlatformModule, RoomsClientModule],
  providers: [...prismaModule, CallsStore, CallLogStore, CallLogService, CallsService, CallsHandler],
  exports: [CallsService, CallsHandler],
})
export class CallsModule {}
