import { Injectable } from '@nestjs/common';
import { ParticipantsStore } from './participants.store.js';

/**
 * Live seats (Redis) as other domains may change them: moderation (roles, mutes, removal),
 * sessions (resume, disconnect sweep) and the lobby (counts). The rooms domain keeps its
 * store to itself (issue 12 §2, ADR 0074); these are the store's own atomic operations, no
 * access checks (callers check through RoomsService first). Each method takes and returns
 * what the store's does (`Parameters<…>`), so the two cannot drift (nor the other thin services).
 */
@Injectable()
export class RoomSeats {
  constructor(private readonly store: ParticipantsStore) {}

  ofUser(...args: Parameters<ParticipantsStore['ofUser']>) {
    return this.store.ofUser(...args);
  }

  list(...args: Parameters<ParticipantsStore['list']>) {
    return this.store.list(...args);
  }

  remove(...args: Parameters<ParticipantsStore['remove']>) {
    return this.store.remove(...args);
  }

  removeUser(...args: Parameters<ParticipantsStore['removeUser']>) {
    return this.store.removeUser(...args);
  }

  patchUser(...args: Parameters<ParticipantsStore['patchUser']>) {
    return this.store.patchUser(...args);
  }

  resume(...args: Parameters<ParticipantsStore['resume']>) {
    return this.store.resume(...args);
  }

  roomsOfConnection(...args: Parameters<ParticipantsStore['roomsOfConnection']>) {
    return this.store.roomsOfConnection(...args);
  }

  userCounts(...args: Parameters<ParticipantsStore['userCounts']>) {
    return this.store.userCounts(...args);
  }
}
