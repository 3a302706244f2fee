import { Module } from '@nestjs/common';
import { AttachmentsModule } from '../attachments/attachments.module.js';
import { RoomsPlatformModule } from '../platform.module.js';
import { RoomsModule } from '../rooms/rooms.module.js';
import { EmojiListModule } from './emoji-list.module.js';
import { EmojiHandler } from './emoji.handler.js';
import { EmojiService } from './emoji.service.js';

/** Custom emoji verbs (`emoji.*`, uploads through attachments); chat checks reactions through EmojiService. */
@Module({ imports: [EmojiListModule, RoomsModule, AttachmentsModule, RoomsPlatformModule], providers: [EmojiService, EmojiHandler], exports: [EmojiService] })
export class EmojiModule {}
