import { Module } from '@nestjs/common';
import { AttachmentsModule } from '../attachments/attachments.module.js';
import { ChannelsModule } from '../channels/channels.module.js';
import { DbModule } from '../db/db.module.js';
import { EmojiModule } from '../emoji/emoji.module.js';
import { RoomsPlatformModule } from '../platform.module.js';
import { RoomsModule } from '../rooms/rooms.module.js';
import { ChatHandler } from './chat.handler.js';
import { ChatService } from './chat.service.js';
import { ChatStore } from './chat.store.js';

/** Chat (`chat.*`): messages, reactions, pins, history, read markers, typing. */
@Module({ imports: [DbModule, RoomsPlatformModule, RoomsModule, AttachmentsModule, ChannelsModule, EmojiModule], providers: [ChatStore, ChatService, ChatHandler], exports: [ChatService] })
export class ChatModule {}
