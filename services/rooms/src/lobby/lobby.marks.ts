import { Injectable } from '@nestjs/common';

/**
 * Rooms touched by a registry event since the lobby's last flush. Its own provider so the
 * publisher (needed by every domain, RoomsService included) does not depend on LobbyService
 * (which reads rooms through RoomsModule): that was the rooms/lobby cycle (ADR 0074).
 */
@Injectable()
export class LobbyMarks {
  /** Bounded by the rooms that exist. */
  readonly dirty = new Set<string>();

  touch(roomId: string): void {
    this.dirty.add(roomId);
  }
}
