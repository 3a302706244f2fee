import { Injectable } from '@nestjs/common';
import { ParticipantsStore, type LiveParticipant } from './participants.store.js';

/**
 * Live seats (Redis) as other domains may change them: moderation (roles, mutes, removal),
 * sessions (resume, disconnect sweep) and the lobby (counts). The rooms domain keeps its
 * store to itself (issue 12 §2, ADR 0074); these are the store's own atomic operations, no
 * access checks (callers check through RoomsService first).
 */
@Injectable()
export class RoomSeats {
  constructor(private readonly store: ParticipantsStore) {}

  ofUser(roomId: string, userId: string): Promise<LiveParticipant[]> {
    return this.store.ofUser(roomId, userId);
  }

  remove(roomId: string, connectionId: string): Promise<LiveParticipant | undefined> {
    return this.store.remove(roomId, connectionId);
  }

  removeUser(roomId: string, userId: string): Promise<LiveParticipant[]> {
    return this.store.removeUser(roomId, userId);
  }

  patchUser(roomId: string, userId: string, patch: Partial<Pick<LiveParticipant, 'role' | 'muted'>>): Promise<number> {
    return this.store.patchUser(roomId, userId, patch);
  }

  resume(roomId: string, userId: string, sessionId: string, connectionId: string, nodeId: string): Promise<{ previousConnectionId: string; participant: LiveParticipant } | undefined> {
    return this.store.resume(roomId, userId, sessionId, connectionId, nodeId);
  }

  roomsOfConnection(connectionId: string): Promise<string[]> {
    return this.store.roomsOfConnection(connectionId);
  }

  userCounts(roomIds: string[]): Promise<Map<string, number>> {
    return this.store.userCounts(roomIds);
  }
}
