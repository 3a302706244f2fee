import { Module } from '@nestjs/common';
import { RoomsPlatformModule } from '../platform.module.js';
import { RoomsModule } from '../rooms/rooms.module.js';
import { FloorLeasesModule } from './floor-leases.module.js';
import { FloorHandler } from './floor.handler.js';
import { FloorService } from './floor.service.js';
import { FloorStore } from './floor.store.js';

/**
 * Push-to-talk floor verbs (`floor.*`) and the lease sweep; above RoomsModule, whose access
 * checks it uses. Its own FloorStore instance: stores are never exported (the lower half keeps
 * its one private), and a store holds no state of its own (the lease is in Redis).
 */
@Module({ imports: [RoomsPlatformModule, FloorLeasesModule, RoomsModule], providers: [FloorStore, FloorService, FloorHandler], exports: [FloorService] })
export class FloorModule {}
