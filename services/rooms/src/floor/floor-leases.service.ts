import { Injectable } from '@nestjs/common';
import { FloorStore } from './floor.store.js';

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

  releaseIf(...args: Parameters<FloorStore['releaseIf']>) {
    return this.store.releaseIf(...args);
  }

  moveHolder(...args: Parameters<FloorStore['moveHolder']>) {
    return this.store.moveHolder(...args);
  }

  clear(...args: Parameters<FloorStore['clear']>) {
    return this.store.clear(...args);
  }
}
