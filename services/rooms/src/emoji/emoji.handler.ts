import { Injectable } from '@nestjs/common';
import type { DomainHandlers } from '@switchboard/platform';
import { EmojiService } from './emoji.service.js';

/** NATS verbs `emoji.*`, served by the rooms command subscription. */
@Injectable()
export class EmojiHandler {
  constructor(private readonly emoji: EmojiService) {}

  commands(): DomainHandlers<'rooms', 'emoji'> {
    return {
      'emoji.upload': (data, caller) => this.emoji.upload(caller, data),
      'emoji.create': (data, caller) => this.emoji.create(caller, data),
      'emoji.delete': (data, caller) => this.emoji.delete(caller, data),
    };
  }
}
