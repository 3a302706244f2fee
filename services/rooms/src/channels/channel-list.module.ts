import { Module } from '@nestjs/common';
import { DbModule } from '../db/db.module.js';
import { ChannelList } from './channel-list.service.js';
import { ChannelsStore } from './channels.store.js';

/**
 * The channels' lower half: the store and ChannelList (`room.get` lists a room's channels).
 * It exports the store only for ChannelsModule (same domain; the layout test checks
 * that no other domain imports it).
 */
@Module({ imports: [DbModule], providers: [ChannelsStore, ChannelList], exports: [ChannelList, ChannelsStore] })
export class ChannelListModule {}
