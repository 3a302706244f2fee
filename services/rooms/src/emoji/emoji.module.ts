import { Module } from '@nestjs/common';
import { AttachmentsModule } from '../attachments/attachments.module.js';
import { DbModule } from '../db/db.module.js';
import { RoomsPlatformModule } from '../platform.module.js';
import { RoomsModule } from '../rooms/rooms.module.js';
import { EmojiListModule } from './emoji-list.module.js';
import { EmojiHandler } from './emoji.handler.js';
import { EmojiService } from './emoji.service.js';
import { EmojiStore } from './emoji.store.js';

/**
 * Custom emoji verbs (`emoji.*`, uploads through attachments); chat checks reactions through
 * EmojiService. Its own EmojiStore instance: stores are never exported, and a store holds no
 * state of its own.
 */
@Module({ imports: [DbModule, RoomsPlatformModule, EmojiListModule, RoomsModule, AttachmentsModule], providers: [EmojiStore, EmojiService, EmojiHandler], exports: [EmojiService] })
export class EmojiModule {}
