import { Module } from '@nestjs/common';
import { ConnectionsModule } from '../connections/connections.module.js';
import { MetricsModule } from '../metrics/metrics.module.js';
import { GatewayPlatformModule } from '../platform.module.js';
import { PairingStore } from './pairing.store.js';
import { SignalingHandler } from './signaling.handler.js';
import { SignalingService } from './signaling.service.js';

/** WebRTC signaling between connections (`signal`, pairing), with delivery reports. */
@Module({ imports: [MetricsModule, GatewayPlatformModule, ConnectionsModule], providers: [PairingStore, SignalingService, SignalingHandler], exports: [SignalingService] })
export class SignalingModule {}
