import { Injectable } from '@nestjs/common';
import { RecordingsService } from './recordings.service.js';
import type { RequestData } from '@switchboard/protocol';
import { Command } from '../command.js';

/** NATS verb `ptt.record` (internal, gateway → media), served by the media command subscription. */
@Injectable()
export class RecordingsHandler {
  constructor(private readonly recordings: RecordingsService) {}

  @Command('ptt.record')
  record(data: RequestData<'media', 'ptt.record'>) {
    return this.recordings.record(data);
  }
}
