import { Module } from '@nestjs/common';
import { CommandsModule } from '../commands/commands.module.js';
import { ConnectionsModule } from '../connections/connections.module.js';
import { RoutingModule } from '../routing/routing.module.js';
import { SubscriptionsModule } from '../routing/subscriptions.module.js';
import { GatewayWiring } from './gateway.wiring.js';

/** GatewayWiring: fills the command, hook, delivery and connection tables from the decorated methods of every module at boot (ADR 0040). */
@Module({ imports: [CommandsModule, ConnectionsModule, RoutingModule, SubscriptionsModule], providers: [GatewayWiring] })
export class WiringModule {}
