import { Module } from '@nestjs/common';
import { PresenceMetrics } from './presence.metrics.js';

/** The presence service's Prometheus metrics, shared by every domain. */
@Module({ providers: [PresenceMetrics], exports: [PresenceMetrics] })
export class MetricsModule {}
