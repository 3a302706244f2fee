import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DueStore, NatsConnection, RoomEventsPublisher } from '@switchboard/platform';
import type { ConnectionRegistry } from '../connections/connection.registry.js';
import { connection, gatewayConfig, silentLogger } from '../testing/fakes.test.js';
import { EphemeralService } from './ephemeral.service.js';

const ROOM = 'r_unit';

/** A NATS client whose status stream the test drives. */
function statusFeed() {
  const queued: { type: string }[] = [];
  let wake: (() => void) | undefined;
  const nc = {
    async *status() {
      for (;;) {
        while (queued.length) yield queued.shift()!;
        await new Promise<void>((r) => (wake = r));
      }
    },
  };
  return { nc: nc as unknown as NatsConnection, push: (type: string) => (queued.push({ type }), wake?.()) };
}

function setup() {
  const published: { type: string; roomId: string; data: unknown; opts?: unknown }[] = [];
  const timers: { op: string; member: string }[] = [];
  const events = { live: (roomId: string, type: string, data: unknown, opts?: unknown) => published.push({ type, roomId, data, opts }) } as unknown as RoomEventsPublisher;
  const due = { schedule: async (_s: string, member: string) => void timers.push({ op: 'schedule', member }), cancel: async (_s: string, member: string) => void timers.push({ op: 'cancel', member }) } as unknown as DueStore;
  const { conn } = connection('alice');
  const registry = { all: () => [conn] } as unknown as ConnectionRegistry;
  const feed = statusFeed();
  const service = new EphemeralService(events, due, registry, feed.nc, gatewayConfig({ SEAT_RECHECK_MS: String(RECHECK) }), silentLogger);
  let forwarded = 0;
  let refuse = false;
  const send = async () => {
    forwarded++;
    if (refuse) throw Object.assign(new Error('not in this room'), { code: 'forbidden' });
    return {};
  };
  return { service, conn, published, timers, feed, send, forwarded: () => forwarded, refuse: (r: boolean) => (refuse = r) };
}

const RECHECK = 30_000;
const seat = (over: object = {}) => ({ lastSeq: 3, early: [], ahead: new Map(), replayEphemeral: false, seatConfirmedAt: Date.now(), ...over });

describe('EphemeralService (which side answers broadcast and typing)', () => {
  afterEach(() => vi.useRealTimers());

  it('answers a settled seat of a live-only room itself, excluding the sender', async () => {
    const { service, conn, published, send, forwarded } = setup();
    conn.rooms.set(ROOM, seat());
    expect(await service.broadcast({ roomId: ROOM, data: { x: 1 } }, conn, send)).toEqual({});
    expect(forwarded()).toBe(0);
    expect(published).toEqual([{ type: 'room.broadcast', roomId: ROOM, data: { from: { userId: 'alice', connectionId: conn.id }, data: { x: 1 } }, opts: { excludeConnectionId: conn.id } }]);
  });

  it('forwards to rooms: no seat, a join in flight, an unknown or replaying room, a seat with missed events', async () => {
    const cases = [undefined, seat({ lastSeq: null }), seat({ replayEphemeral: undefined }), seat({ replayEphemeral: true }), seat({ missedEvents: true }), seat({ seatConfirmedAt: undefined })];
    for (const cursor of cases) {
      const { service, conn, published, send, forwarded } = setup();
      if (cursor) conn.rooms.set(ROOM, cursor);
      await service.broadcast({ roomId: ROOM, data: 1 }, conn, send);
      expect(forwarded()).toBe(1);
      expect(published).toEqual([]);
    }
  });

  it('asks rooms again once the confirmation is SEAT_RECHECK_MS old: its answer renews it, a refusal keeps every later one at rooms', async () => {
    vi.useFakeTimers();
    const { service, conn, published, send, forwarded, refuse } = setup();
    conn.rooms.set(ROOM, seat());
    await service.broadcast({ roomId: ROOM, data: 1 }, conn, send);
    vi.advanceTimersByTime(RECHECK - 1);
    await service.broadcast({ roomId: ROOM, data: 2 }, conn, send);
    expect([forwarded(), published.length]).toEqual([0, 2]);
    vi.advanceTimersByTime(1);
    await service.broadcast({ roomId: ROOM, data: 3 }, conn, send); // rooms confirms the seat
    await service.broadcast({ roomId: ROOM, data: 4 }, conn, send);
    expect([forwarded(), published.length]).toEqual([1, 3]);
    // The seat is gone without its event reaching this replica (rooms died mid-kick): bounded by the recheck.
    vi.advanceTimersByTime(RECHECK);
    refuse(true);
    for (const data of [5, 6]) await expect(service.broadcast({ roomId: ROOM, data }, conn, send)).rejects.toMatchObject({ code: 'forbidden' });
    await expect(service.typing({ roomId: ROOM, typing: true }, conn, send)).rejects.toMatchObject({ code: 'forbidden' });
    expect([forwarded(), published.length]).toEqual([4, 3]);
  });

  it('typing: the default channel of a vouched seat here (timer and event), a named channel or an unvouched seat at rooms', async () => {
    const { service, conn, published, timers, send, forwarded } = setup();
    conn.rooms.set(ROOM, seat({ replayEphemeral: true })); // the replay flag does not matter to typing
    await service.typing({ roomId: ROOM, typing: true }, conn, send);
    await service.typing({ roomId: ROOM, typing: false }, conn, send);
    expect(timers).toEqual([
      { op: 'schedule', member: `${ROOM}:alice` },
      { op: 'cancel', member: `${ROOM}:alice` },
    ]);
    expect(published.map((p) => p.data)).toEqual([
      { userId: 'alice', typing: true },
      { userId: 'alice', typing: false },
    ]);
    await service.typing({ roomId: ROOM, channelId: 'ch1', typing: true }, conn, send);
    conn.rooms.get(ROOM)!.missedEvents = true;
    await service.typing({ roomId: ROOM, typing: true }, conn, send);
    expect(forwarded()).toBe(2);
    expect(published).toHaveLength(2);
  });

  it('a NATS disconnect, reconnect or slow consumer marks every local seat; other statuses do not', async () => {
    const { service, conn, feed } = setup();
    conn.rooms.set(ROOM, seat());
    conn.rooms.set('r_two', seat());
    service.onModuleInit();
    feed.push('ping');
    feed.push('update');
    await new Promise((r) => setImmediate(r));
    expect([...conn.rooms.values()].map((c) => c.missedEvents)).toEqual([undefined, undefined]);
    feed.push('disconnect');
    await new Promise((r) => setImmediate(r));
    expect([...conn.rooms.values()].map((c) => c.missedEvents)).toEqual([true, true]);
  });
});
