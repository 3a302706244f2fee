import { Injectable } from '@nestjs/common';
import { FloorStore, type FloorHolder } from './floor.store.js';

export { talkOf, type FloorHolder } from './floor.store.js';

/**
 * The floor lease as the room lifecycle changes it: released when its holder leaves or is
 * muted, moved when the holder's session resumes, cleared when the room closes. It needs no
 * room checks, so it sits in FloorLeasesModule, below RoomsModule, while FloorService (the
 * `floor.*` verbs) needs RoomsService and sits above it (ADR 0074).
 */
@Injectable()
export class FloorLeases {
  constructor(private readonly store: FloorStore) {}

  releaseIf(roomId: string, match: { userId: string } | { connectionId: string } | { expiredAt: number }): Promise<FloorHolder | undefined> {
    return this.store.releaseIf(roomId, match);
  }

  moveHolder(roomId: string, fromConnectionId: string, toConnectionId: string): Promise<boolean> {
    return this.store.moveHolder(roomId, fromConnectionId, toConnectionId);
  }

  clear(roomId: string): Promise<void> {
    return this.store.clear(roomId);
  }
}
