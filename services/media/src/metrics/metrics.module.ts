import { Module } from '@nestjs/common';
import { MediaMetrics } from './media.metrics.js';

/** The media service's shared Prometheus metrics (calls, chunks). */
@Module({ providers: [MediaMetrics], exports: [MediaMetrics] })
export class MetricsModule {}
