import { Module } from '@nestjs/common';
import { RoomsPlatformModule } from '../platform.module.js';
import { RoomsModule } from '../rooms/rooms.module.js';
import { ChannelListModule } from './channel-list.module.js';
import { ChannelsHandler } from './channels.handler.js';
import { ChannelsService } from './channels.service.js';

/** Channel verbs (`channel.*`); chat resolves a message's channel through ChannelsService. */
@Module({ imports: [ChannelListModule, RoomsModule, RoomsPlatformModule], providers: [ChannelsService, ChannelsHandler], exports: [ChannelsService] })
export class ChannelsModule {}
