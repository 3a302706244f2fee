import { Module } from '@nestjs/common';
import { ConnectionsModule } from '../connections/connections.module.js';
import { GatewayPlatformModule } from '../platform.module.js';
import { EphemeralService } from './ephemeral.service.js';

/** Broadcast and typing authorized at the gateway (ADR 0062). */
@Module({ imports: [GatewayPlatformModule, ConnectionsModule], providers: [EphemeralService], exports: [EphemeralService] })
export class EphemeralModule {}
