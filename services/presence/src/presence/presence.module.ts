import { Module } from '@nestjs/common';
import { MetricsModule } from '../metrics/metrics.module.js';
import { PresenceHandler } from './presence.handler.js';
import { PresenceService } from './presence.service.js';
import { PresenceStore } from './presence.store.js';

/** User status (`presence.*`). */
@Module({ imports: [MetricsModule], providers: [PresenceStore, PresenceService, PresenceHandler], exports: [PresenceService] })
export class PresenceModule {}
