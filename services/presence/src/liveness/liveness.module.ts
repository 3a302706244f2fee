import { Module } from '@nestjs/common';
import { MetricsModule } from '../metrics/metrics.module.js';
import { LivenessHandler } from './liveness.handler.js';
import { LivenessService } from './liveness.service.js';
import { LivenessStore } from './liveness.store.js';

/** Connection liveness (gateway reports, expiry, `conn.gone`); other domains react with `@OnConnectionOpened/Gone`. */
@Module({ imports: [MetricsModule], providers: [LivenessStore, LivenessService, LivenessHandler], exports: [LivenessService] })
export class LivenessModule {}
