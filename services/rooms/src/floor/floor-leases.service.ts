import { Injectable } from '@nestjs/common';
import { FloorStore } from './floor.store.js';

export { talkOf, type FloorHolder } from './floor.store.js';

/**
 * The floor lease as the room lifecycle changes it: released when its holder leaves or is
 * muted, cleared when the room closes (a resumed session's seat script moves it, ADR 0070). It needs no
 * room checks, so it sits in FloorLeasesModule, below RoomsModule, while FloorService (the
 * `floor.*` verbs) needs RoomsService and sits above it (ADR 0074).
 */
@Injectable()
export class FloorLeases {
  constructor(private readonly store: FloorStore) {}

  releaseIf(...args: Parameters<FloorStore['releaseIf']>) {
    return this.store.releaseIf(...args);
  }

  clear(...args: Parameters<FloorStore['clear']>) {
    return this.store.clear(...args);
  }
}
