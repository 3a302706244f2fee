import { Module } from '@nestjs/common';
import { RoomsClientModule } from '../rooms/rooms.module.js';
import { PttMetrics } from './ptt.metrics.js';
import { RecordingsHandler } from './recordings.handler.js';
import { RecordingsService } from './recordings.service.js';

/** Push-to-talk recordings (`ptt.record` from the gateway): Ogg/Opus files stored as voice messages. */
@Module({ imports: [RoomsClientModule], providers: [PttMetrics, RecordingsService, RecordingsHandler], exports: [RecordingsService] })
export class PttModule {}
