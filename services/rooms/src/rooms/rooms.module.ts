import { Module } from '@nestjs/common';
import { ChannelListModule } from '../channels/channel-list.module.js';
import { DbModule } from '../db/db.module.js';
import { EmojiListModule } from '../emoji/emoji-list.module.js';
import { FloorLeasesModule } from '../floor/floor-leases.module.js';
import { RoomsPlatformModule } from '../platform.module.js';
import { ParticipantsStore } from './participants.store.js';
import { RoomFlagsStore } from './room-flags.store.js';
import { RoomRecords } from './room-records.service.js';
import { RoomSeats } from './room-seats.service.js';
import { RoomsHandler } from './rooms.handler.js';
import { RoomsService } from './rooms.service.js';
import { RoomsStore } from './rooms.store.js';

/**
 * Room lifecycle (`room.*`), membership and live seats; every other domain checks access
 * through RoomsService. `room.get` and closing or leaving a room use the lower halves of
 * channels, emoji and floor (their list and lease services), never their command modules,
 * which import this one (ADR 0074).
 */
@Module({
  imports: [DbModule, RoomsPlatformModule, ChannelListModule, EmojiListModule, FloorLeasesModule],
  providers: [RoomsStore, ParticipantsStore, RoomFlagsStore, RoomsService, RoomSeats, RoomRecords, RoomsHandler],
  exports: [RoomsService, RoomSeats, RoomRecords],
})
export class RoomsModule {}
