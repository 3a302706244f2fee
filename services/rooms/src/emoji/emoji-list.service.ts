import { Injectable } from '@nestjs/common';
import { EmojiStore, type EmojiRow } from './emoji.store.js';

/**
 * A room's custom emoji for `room.get`: a plain read without room checks, so it sits in
 * EmojiListModule, below RoomsModule, while EmojiService (which checks roles through
 * RoomsService) sits above it (ADR 0074).
 */
@Injectable()
export class EmojiList {
  constructor(private readonly store: EmojiStore) {}

  list(roomId: string): Promise<EmojiRow[]> {
    return this.store.list(roomId);
  }
}
