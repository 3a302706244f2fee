import { Module } from '@nestjs/common';
import { DbModule } from '../db/db.module.js';
import { FloorLeasesModule } from '../floor/floor-leases.module.js';
import { RoomsPlatformModule } from '../platform.module.js';
import { RoomsModule } from '../rooms/rooms.module.js';
import { ModerationHandler } from './moderation.handler.js';
import { ModerationService } from './moderation.service.js';
import { ModerationStore } from './moderation.store.js';

/** Kick, ban, roles and mutes; a muted holder loses the floor (FloorLeases). */
@Module({ imports: [DbModule, RoomsPlatformModule, RoomsModule, FloorLeasesModule], providers: [ModerationStore, ModerationService, ModerationHandler], exports: [ModerationService] })
export class ModerationModule {}
