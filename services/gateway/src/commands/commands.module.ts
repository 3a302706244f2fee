import { Module } from '@nestjs/common';
import { ConnectionsModule } from '../connections/connections.module.js';
import { MetricsModule } from '../metrics/metrics.module.js';
import { RoutingModule } from '../routing/routing.module.js';
import { CommandHooks } from './command.hooks.js';
import { CommandRouter } from './command.router.js';
import { LocalCommands } from './local.commands.js';
import { RoomLifecycle } from './room.lifecycle.js';

/**
 * Client commands: the router, its local-verb and hook tables and the room join/leave
 * bookkeeping. The tables are exported only for GatewayWiring, which fills them at boot (ADR 0040).
 */
@Module({ imports: [MetricsModule, ConnectionsModule, RoutingModule], providers: [LocalCommands, CommandHooks, CommandRouter, RoomLifecycle], exports: [CommandRouter, LocalCommands, CommandHooks] })
export class CommandsModule {}
