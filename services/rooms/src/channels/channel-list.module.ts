import { Module } from '@nestjs/common';
import { DbModule } from '../db/db.module.js';
import { ChannelList } from './channel-list.service.js';
import { ChannelsStore } from './channels.store.js';

/**
 * The channels' lower half, ChannelList (`room.get` lists a room's channels). It needs no room
 * checks, so RoomsModule can import it while ChannelsModule imports RoomsModule (ADR 0074).
 */
@Module({ imports: [DbModule], providers: [ChannelsStore, ChannelList], exports: [ChannelList] })
export class ChannelListModule {}
