import { Module } from '@nestjs/common';
import { DbModule } from '../db/db.module.js';
import { EmojiList } from './emoji-list.service.js';
import { EmojiStore } from './emoji.store.js';

/**
 * The emoji's lower half: the store and EmojiList (`room.get` lists a room's emoji). It
 * exports the store only for EmojiModule (same domain; the layout test checks that no
 * other domain imports it).
 */
@Module({ imports: [DbModule], providers: [EmojiStore, EmojiList], exports: [EmojiList, EmojiStore] })
export class EmojiListModule {}
