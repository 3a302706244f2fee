import { describe, expect, it, vi } from 'vitest';
import type { CommandBus, Logger } from '@switchboard/platform';
import type { RoomsConfig } from '../config.js';
import type { RoomRecords } from '../rooms/room-records.service.js';
import type { RoomSeats } from '../rooms/room-seats.service.js';
import type { Room } from '../rooms/rooms.store.js';
import { LobbyMarks } from './lobby.marks.js';
import { LobbyService } from './lobby.service.js';

const room = (id: string): Room => ({
  id,
  name: id,
  description: '',
  kind: 'group',
  joinPolicy: 'open',
  visibility: 'public',
  ownerId: 'owner',
  maxParticipants: 10,
  metadata: {},
  replayEphemeral: false,
  createdAt: new Date(0),
  updatedAt: new Date(0),
  closedAt: null,
});

describe('LobbyService flush (ADR 0088)', () => {
  it('publishes the rooms marked when it starts; rooms marked while it reads wait for the next flush', async () => {
    const marks = new LobbyMarks();
    let release!: () => void;
    const reading = new Promise<void>((r) => (release = r));
    const byIds = vi.fn(async (ids: string[]) => {
      await reading;
      return ids.map(room);
    });
    const publish = vi.fn();
    const lobby = new LobbyService(
      { publish } as unknown as CommandBus,
      { byIds } as unknown as RoomRecords,
      { userCounts: async (ids: string[]) => new Map(ids.map((id) => [id, 1])) } as unknown as RoomSeats,
      { LOBBY_INTERVAL_MS: 1000, REPLY_MAX_BYTES: 256 * 1024 } as RoomsConfig,
      { warn: vi.fn() } as unknown as Logger,
      marks,
    );
    const notices = () => publish.mock.calls.map(([, e]) => (e as { data: { updated: { id: string }[] } }).data.updated.map((r) => r.id));

    marks.touch('room-a');
    const first = lobby.flush();
    marks.touch('room-b'); // a join while the flush reads
    release();
    await first;
    expect(notices()).toEqual([['room-a']]);
    expect([...marks.dirty]).toEqual(['room-b']);

    await lobby.flush();
    expect(notices()).toEqual([['room-a'], ['room-b']]);
    expect(byIds).toHaveBeenCalledTimes(2);
    // Nothing marked: no read, no notice.
    await lobby.flush();
    expect(byIds).toHaveBeenCalledTimes(2);
  });
});
