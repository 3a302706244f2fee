import { Module } from '@nestjs/common';
import { LivenessModule } from '../liveness/liveness.module.js';
import { MetricsModule } from '../metrics/metrics.module.js';
import { RelaysHandler } from './relays.handler.js';
import { RelaysService } from './relays.service.js';
import { RelaysStore } from './relays.store.js';

/** Client relays (`relay.*`). */
@Module({ imports: [LivenessModule, MetricsModule], providers: [RelaysStore, RelaysService, RelaysHandler], exports: [RelaysService] })
export class RelaysModule {}
