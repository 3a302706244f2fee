import { Module } from '@nestjs/common';
import { MetricsModule } from '../metrics/metrics.module.js';
import { Subscriptions } from './subscriptions.js';

/**
 * Routing's lower half, the shared NATS subscriptions: the connection registry releases a
 * closed connection's interest here, while EventDelivery (RoutingModule) needs the registry,
 * so this half sits below ConnectionsModule and that one above it (ADR 0075).
 */
@Module({ imports: [MetricsModule], providers: [Subscriptions], exports: [Subscriptions] })
export class SubscriptionsModule {}
