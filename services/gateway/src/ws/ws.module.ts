import { Module } from '@nestjs/common';
import { CommandsModule } from '../commands/commands.module.js';
import { ConnectionsModule } from '../connections/connections.module.js';
import { MetricsModule } from '../metrics/metrics.module.js';
import { SessionModule } from '../session/session.module.js';
import { ClientGateway } from './client.gateway.js';

/** The client WebSocket entry (ClientGateway); the upgrade adapter is set up in service.ts. */
@Module({ imports: [MetricsModule, ConnectionsModule, CommandsModule, SessionModule], providers: [ClientGateway] })
export class WsModule {}
