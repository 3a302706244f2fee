import { Injectable } from '@nestjs/common';
import { RoomsStore, type Member, type Room } from './rooms.store.js';

/**
 * Durable rooms and memberships (Postgres) as other domains read them: approvals (membership,
 * staff to notify), moderation (membership, removal) and the lobby (registry reads). The
 * rooms domain keeps its store to itself (ADR 0074); no access checks here.
 */
@Injectable()
export class RoomRecords {
  constructor(private readonly store: RoomsStore) {}

  member(roomId: string, userId: string): Promise<Member | null> {
    return this.store.member(roomId, userId);
  }

  removeMember(roomId: string, userId: string): Promise<void> {
    return this.store.removeMember(roomId, userId);
  }

  staff(roomId: string): Promise<Member[]> {
    return this.store.staff(roomId);
  }

  byIds(ids: string[]): Promise<Room[]> {
    return this.store.byIds(ids);
  }

  publicRooms(filter: { kind?: string; joinPolicy?: string; nameContains?: string }, limit: number): Promise<Room[]> {
    return this.store.publicRooms(filter, limit);
  }
}
