import { Module } from '@nestjs/common';
import { LivenessModule } from '../liveness/liveness.module.js';
import { MetricsModule } from '../metrics/metrics.module.js';
import { RendezvousHandler } from './rendezvous.handler.js';
import { RendezvousService } from './rendezvous.service.js';
import { RendezvousStore } from './rendezvous.store.js';

/** Rendezvous of peers (`rendezvous.*`). */
@Module({ imports: [LivenessModule, MetricsModule], providers: [RendezvousStore, RendezvousService, RendezvousHandler], exports: [RendezvousService] })
export class RendezvousModule {}
