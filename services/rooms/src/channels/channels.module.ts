import { Module } from '@nestjs/common';
import { DbModule } from '../db/db.module.js';
import { RoomsPlatformModule } from '../platform.module.js';
import { RoomsModule } from '../rooms/rooms.module.js';
import { ChannelListModule } from './channel-list.module.js';
import { ChannelsHandler } from './channels.handler.js';
import { ChannelsService } from './channels.service.js';
import { ChannelsStore } from './channels.store.js';

/**
 * Channel verbs (`channel.*`); chat resolves a message's channel through ChannelsService. Its
 * own ChannelsStore instance: stores are never exported, and a store holds no state of its own.
 */
@Module({ imports: [DbModule, RoomsPlatformModule, ChannelListModule, RoomsModule], providers: [ChannelsStore, ChannelsService, ChannelsHandler], exports: [ChannelsService] })
export class ChannelsModule {}
