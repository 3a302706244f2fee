import { RoomEventsPublisher, StreamAcks } from '@switchboard/platform';
import { describe, expect, it } from 'vitest';
import { LobbyMarks } from './lobby/lobby.marks.js';
import { LobbyTrackingPublisher } from './lobby/lobby.publisher.js';
import { FAST_TIMERS, RoomsHarness } from './testing/harness.test.js';

/** What the publisher holds (private fields, read here only to check the wiring). */
type Wired = { acks?: unknown; lobby?: unknown };

describe('rooms platform module (ADR 0074): one publisher for every domain, stream acks by config, marks for the lobby', () => {
  it('publishes with stream acks (ADR 0048) and marks the lobby’s LobbyMarks, the same instance LobbyService flushes', async () => {
    const h = await RoomsHarness.start(1, FAST_TIMERS);
    try {
      const app = h.replicas[0]!.app;
      const publisher = app.get(RoomEventsPublisher) as unknown as Wired;
      expect(publisher).toBeInstanceOf(LobbyTrackingPublisher);
      expect(publisher.acks).toBeInstanceOf(StreamAcks);
      expect(publisher.lobby).toBe(app.get(LobbyMarks));
    } finally {
      await h.stop();
    }
  });

  it('ROOM_EVENTS_ACK_WINDOW=0 publishes without acks', async () => {
    const h = await RoomsHarness.start(1, { ...FAST_TIMERS, ROOM_EVENTS_ACK_WINDOW: '0' });
    try {
      expect((h.replicas[0]!.app.get(RoomEventsPublisher) as unknown as Wired).acks).toBeUndefined();
    } finally {
      await h.stop();
    }
  });
});
