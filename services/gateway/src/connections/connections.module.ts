import { Module } from '@nestjs/common';
import { MetricsModule } from '../metrics/metrics.module.js';
import { SubscriptionsModule } from '../routing/subscriptions.module.js';
import { ConnectionSlots } from './connection-slots.service.js';
import { ConnectionRegistry } from './connection.registry.js';
import { UserConnectionsStore } from './user-connections.store.js';

/** Local connections (ConnectionRegistry) and the per-user connection cap across replicas (ConnectionSlots). */
@Module({ imports: [MetricsModule, SubscriptionsModule], providers: [ConnectionRegistry, UserConnectionsStore, ConnectionSlots], exports: [ConnectionRegistry, ConnectionSlots] })
export class ConnectionsModule {}
