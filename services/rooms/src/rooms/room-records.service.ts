import { Injectable } from '@nestjs/common';
import { RoomsStore } from './rooms.store.js';

/**
 * Durable rooms and memberships (Postgres) as other domains read them: approvals (membership,
 * staff to notify), moderation (membership, removal) and the lobby (registry reads). The
 * rooms domain keeps its store to itself (ADR 0074); no access checks here.
 */
@Injectable()
export class RoomRecords {
  constructor(private readonly store: RoomsStore) {}

  member(...args: Parameters<RoomsStore['member']>) {
    return this.store.member(...args);
  }

  removeMember(...args: Parameters<RoomsStore['removeMember']>) {
    return this.store.removeMember(...args);
  }

  staff(...args: Parameters<RoomsStore['staff']>) {
    return this.store.staff(...args);
  }

  byIds(...args: Parameters<RoomsStore['byIds']>) {
    return this.store.byIds(...args);
  }

  publicRooms(...args: Parameters<RoomsStore['publicRooms']>) {
    return this.store.publicRooms(...args);
  }
}
