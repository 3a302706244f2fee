import { Module } from '@nestjs/common';
import { RoomsPlatformModule } from '../platform.module.js';
import { RoomsModule } from '../rooms/rooms.module.js';
import { LobbyHandler } from './lobby.handler.js';
import { LobbyService } from './lobby.service.js';

/**
 * The live room registry (`rooms.subscribe`, coalesced `sb.sys.rooms.changed`). The marks it
 * flushes come from the platform module's publisher (LobbyMarks), so nothing below imports this.
 */
@Module({ imports: [RoomsPlatformModule, RoomsModule], providers: [LobbyService, LobbyHandler], exports: [LobbyService] })
export class LobbyModule {}
