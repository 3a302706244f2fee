import { Module } from '@nestjs/common';
import { ConnectionsModule } from '../connections/connections.module.js';
import { MetricsModule } from '../metrics/metrics.module.js';
import { EventDelivery } from './event.delivery.js';
import { SubscriptionsModule } from './subscriptions.module.js';

/** Event delivery to local connections (per-room order, interception); above ConnectionsModule, whose registry it writes to. */
@Module({ imports: [MetricsModule, SubscriptionsModule, ConnectionsModule], providers: [EventDelivery], exports: [EventDelivery] })
export class RoutingModule {}
