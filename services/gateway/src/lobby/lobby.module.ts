import { Module } from '@nestjs/common';
import { MetricsModule } from '../metrics/metrics.module.js';
import { LobbyService } from './lobby.service.js';

/** The live room registry's watch (`rooms.subscribe` / `rooms.unsubscribe`). */
@Module({ imports: [MetricsModule], providers: [LobbyService], exports: [LobbyService] })
export class LobbyModule {}
