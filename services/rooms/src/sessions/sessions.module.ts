import { Module } from '@nestjs/common';
import { FloorLeasesModule } from '../floor/floor-leases.module.js';
import { RoomsPlatformModule } from '../platform.module.js';
import { RoomsModule } from '../rooms/rooms.module.js';
import { SessionsHandler } from './sessions.handler.js';
import { SessionsService } from './sessions.service.js';
import { SessionsStore } from './sessions.store.js';

/** Disconnect grace and `session.resume`: seats (RoomSeats) and a held floor (FloorLeases) move to the new connection. */
@Module({ imports: [RoomsPlatformModule, RoomsModule, FloorLeasesModule], providers: [SessionsStore, SessionsService, SessionsHandler], exports: [SessionsService] })
export class SessionsModule {}
