import { Injectable } from '@nestjs/common';
import { EmojiService } from './emoji.service.js';
import type { Caller } from '@switchboard/platform';
import type { CommandData } from '@switchboard/protocol';
import { Command } from '../command.js';

/** NATS verbs `emoji.*`, served by the rooms command subscription. */
@Injectable()
export class EmojiHandler {
  constructor(private readonly emoji: EmojiService) {}

  @Command('emoji.upload')
  upload(data: CommandData<'emoji.upload'>, caller: Caller) {
    return this.emoji.upload(caller, data);
  }

  @Command('emoji.create')
  create(data: CommandData<'emoji.create'>, caller: Caller) {
    return this.emoji.create(caller, data);
  }

  @Command('emoji.delete')
  delete(data: CommandData<'emoji.delete'>, caller: Caller) {
    return this.emoji.delete(caller, data);
  }
}
