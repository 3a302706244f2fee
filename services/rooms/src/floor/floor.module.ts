import { Module } from '@nestjs/common';
import { RoomsPlatformModule } from '../platform.module.js';
import { RoomsModule } from '../rooms/rooms.module.js';
import { FloorLeasesModule } from './floor-leases.module.js';
import { FloorHandler } from './floor.handler.js';
import { FloorService } from './floor.service.js';

/** Push-to-talk floor verbs (`floor.*`) and the lease sweep; above RoomsModule, whose access checks it uses. */
@Module({ imports: [FloorLeasesModule, RoomsModule, RoomsPlatformModule], providers: [FloorService, FloorHandler], exports: [FloorService] })
export class FloorModule {}
