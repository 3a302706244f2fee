import { Injectable } from '@nestjs/common';
import type { DomainHandlers } from '@switchboard/platform';
import { RecordingsService } from './recordings.service.js';

/** NATS verb `ptt.record` (internal, gateway → media), served by the media command subscription. */
@Injectable()
export class RecordingsHandler {
  constructor(private readonly recordings: RecordingsService) {}

  commands(): DomainHandlers<'media', 'ptt'> {
    return { 'ptt.record': (data) => this.recordings.record(data) };
  }
}
