import { Module } from '@nestjs/common';
import { DbModule } from '../db/db.module.js';
import { EmojiList } from './emoji-list.service.js';
import { EmojiStore } from './emoji.store.js';

/**
 * The emoji's lower half, EmojiList (`room.get` lists a room's emoji). It needs no room checks,
 * so RoomsModule can import it while EmojiModule imports RoomsModule (ADR 0074).
 */
@Module({ imports: [DbModule], providers: [EmojiStore, EmojiList], exports: [EmojiList] })
export class EmojiListModule {}
