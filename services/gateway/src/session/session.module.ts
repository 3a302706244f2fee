import { Module } from '@nestjs/common';
import { AttestationModule } from '../attestation/attestation.module.js';
import { AuthModule } from '../auth/auth.module.js';
import { ConnectionsModule } from '../connections/connections.module.js';
import { MetricsModule } from '../metrics/metrics.module.js';
import { PresenceModule } from '../presence/presence.module.js';
import { RoutingModule } from '../routing/routing.module.js';
import { SubscriptionsModule } from '../routing/subscriptions.module.js';
import { IceServersCache } from './ice-servers.cache.js';
import { MediaResumeBatcher } from './media-resume.batcher.js';
import { RoomsResumeBatcher } from './rooms-resume.batcher.js';
import { ResumeService } from './resume.service.js';
import { RoomHistoryStore } from './room-history.store.js';
import { RoomTailCache } from './room-tail.cache.js';
import { SessionService } from './session.service.js';

/** Sessions: admission, hello, refresh, heartbeat and drain (SessionService), and `session.resume` with its replay reads. */
@Module({
  imports: [MetricsModule, AuthModule, AttestationModule, ConnectionsModule, RoutingModule, SubscriptionsModule, PresenceModule],
  providers: [IceServersCache, SessionService, RoomHistoryStore, RoomTailCache, MediaResumeBatcher, RoomsResumeBatcher, ResumeService],
  exports: [SessionService],
})
export class SessionModule {}
