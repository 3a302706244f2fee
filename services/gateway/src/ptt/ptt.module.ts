import { Module } from '@nestjs/common';
import { CommandsModule } from '../commands/commands.module.js';
import { PttMetrics } from './ptt.metrics.js';
import { PttService } from './ptt.service.js';

/** Push-to-talk audio frames over the gateway (ADR 0053). */
@Module({ imports: [CommandsModule], providers: [PttMetrics, PttService], exports: [PttService] })
export class PttModule {}
