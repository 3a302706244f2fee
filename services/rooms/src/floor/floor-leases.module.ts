import { Module } from '@nestjs/common';
import { FloorLeases } from './floor-leases.service.js';
import { FloorStore } from './floor.store.js';

/**
 * The floor's lower half: the lease store and FloorLeases, which the room lifecycle (leave,
 * close), moderation (mute) and sessions (resume) use. It exports the store only for
 * FloorModule (same domain; Nest cannot scope an export to one importer, so the layout
 * test checks that no other domain imports it).
 */
@Module({ providers: [FloorStore, FloorLeases], exports: [FloorLeases, FloorStore] })
export class FloorLeasesModule {}
