import { Injectable } from '@nestjs/common';
import { EmojiStore } from './emoji.store.js';

/**
 * A room's custom emoji for `room.get`: a plain read without room checks, so it sits in
 * EmojiListModule, below RoomsModule, while EmojiService (which checks roles through
 * RoomsService) sits above it (ADR 0074).
 */
@Injectable()
export class EmojiList {
  constructor(private readonly store: EmojiStore) {}

  list(...args: Parameters<EmojiStore['list']>) {
    return this.store.list(...args);
  }
}
