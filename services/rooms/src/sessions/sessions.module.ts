import { Module } from '@nestjs/common';
import { RoomsPlatformModule } from '../platform.module.js';
import { RoomsModule } from '../rooms/rooms.module.js';
import { SessionsHandler } from './sessions.handler.js';
import { SessionsService } from './sessions.service.js';
import { SessionsStore } from './sessions.store.js';

/** Disconnect grace and `session.resume`: seats move to the new connection with the floor lease they hold (RoomSeats, one script: ADR 0070). */
@Module({ imports: [RoomsPlatformModule, RoomsModule], providers: [SessionsStore, SessionsService, SessionsHandler], exports: [SessionsService] })
export class SessionsModule {}
