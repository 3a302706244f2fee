import { Module } from '@nestjs/common';
import { GatewayMetrics } from './gateway.metrics.js';

/** The gateway's metrics, one set per replica (registered once on the platform registry). */
@Module({ providers: [GatewayMetrics], exports: [GatewayMetrics] })
export class MetricsModule {}
