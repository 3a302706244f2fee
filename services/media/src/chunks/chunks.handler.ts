import { Injectable } from '@nestjs/common';
import { ChunksService } from './chunks.service.js';
import type { Caller } from '@switchboard/platform';
import type { CommandData } from '@switchboard/protocol';
import { Command } from '../command.js';

/** `chunk.*` verbs, served by the media root handler. */
@Injectable()
export class ChunksHandler {
  constructor(private readonly chunks: ChunksService) {}

  @Command('chunk.announce')
  announce(data: CommandData<'chunk.announce'>, caller: Caller) {
    return this.chunks.announce(caller, data);
  }

  @Command('chunk.request')
  request(data: CommandData<'chunk.request'>, caller: Caller) {
    return this.chunks.request(caller, data);
  }

  @Command('chunk.push')
  push(data: CommandData<'chunk.push'>, caller: Caller) {
    return this.chunks.push(caller, data);
  }
}
