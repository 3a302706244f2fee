import { Injectable } from '@nestjs/common';
import type { DomainHandlers } from '@switchboard/platform';
import { ChunksService } from './chunks.service.js';

/** `chunk.*` verbs, served by the media root handler. */
@Injectable()
export class ChunksHandler {
  constructor(private readonly chunks: ChunksService) {}

  commands(): DomainHandlers<'media', 'chunk'> {
    return {
      'chunk.announce': (data, caller) => this.chunks.announce(caller, data),
      'chunk.request': (data, caller) => this.chunks.request(caller, data),
      'chunk.push': (data, caller) => this.chunks.push(caller, data),
    };
  }
}
