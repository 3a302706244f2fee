import { Module } from '@nestjs/common';
import { FloorLeases } from './floor-leases.service.js';
import { FloorStore } from './floor.store.js';

/**
 * The floor's lower half, FloorLeases, which the room lifecycle (leave, close) and moderation
 * (mute) use. It needs no room checks, so RoomsModule can import it
 * while FloorModule imports RoomsModule (ADR 0074).
 */
@Module({ providers: [FloorStore, FloorLeases], exports: [FloorLeases] })
export class FloorLeasesModule {}
