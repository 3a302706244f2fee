import { subjects } from '@switchboard/protocol';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Connection, DeliveredEvent } from '../connections/connection.js';
import { ConnectionRegistry } from '../connections/connection.registry.js';
import { connection, FakeNats, gatewayConfig, metrics, silentLogger, type FakeSocket } from '../testing/fakes.test.js';
import { EventDelivery } from './event.delivery.js';
import { Subscriptions } from './subscriptions.js';

const WINDOW = 250;
const ROOM = 'r_unit';

const ev = (seq: number, over: Partial<DeliveredEvent> = {}): DeliveredEvent => ({ type: 'chat.message', roomId: ROOM, seq, ts: 0, dataJson: `{"n":${seq}}`, excludeConnectionId: '', onlyConnectionIds: [], ...over });

describe('EventDelivery (reorder window and gap skip, fake timers)', () => {
  let delivery: EventDelivery;
  let registry: ConnectionRegistry;
  let m: ReturnType<typeof metrics>;
  let conn: Connection;
  let socket: FakeSocket;
  const seqs = () => socket.sent.map((f) => f.seq);
  /** No interceptor here: delivery is synchronous and returns no verdict (nothing to await). */
  const deliver = (e: DeliveredEvent) => expect(delivery.deliver(conn, e)).toBeUndefined();

  beforeEach(() => {
    vi.useFakeTimers();
    m = metrics();
    const subs = new Subscriptions(new FakeNats().asConnection(), m, silentLogger);
    registry = new ConnectionRegistry(subs, m);
    delivery = new EventDelivery(registry, m, gatewayConfig({ REORDER_WINDOW_MS: String(WINDOW) }));
    ({ conn, socket } = connection());
    conn.rooms.set(ROOM, { lastSeq: 10, early: [], ahead: new Map() });
  });
  afterEach(() => vi.useRealTimers());

  it('delivers in seq order and drops duplicates and old events', () => {
    for (const s of [11, 12, 12, 9, 13]) deliver(ev(s));
    expect(seqs()).toEqual([11, 12, 13]);
  });

  it('holds an early arrival until the gap fills, within the window, without counting a gap', async () => {
    deliver(ev(13));
    deliver(ev(12));
    expect(seqs()).toEqual([]);
    await vi.advanceTimersByTimeAsync(WINDOW - 1);
    deliver(ev(11));
    expect(seqs()).toEqual([11, 12, 13]);
    expect(conn.rooms.get(ROOM)!.gapTimer).toBeUndefined();
    await vi.advanceTimersByTimeAsync(WINDOW * 4);
    expect(seqs()).toEqual([11, 12, 13]);
    expect((await m.reorderGaps.get()).values[0]?.value ?? 0).toBe(0);
  });

  it('skips a gap that outlives the window, exactly once per missing run, and drops the late event', async () => {
    deliver(ev(12));
    deliver(ev(13));
    await vi.advanceTimersByTimeAsync(WINDOW - 1);
    expect(seqs()).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(seqs()).toEqual([12, 13]);
    deliver(ev(11)); // the lost one arrives after all: too late, dropped
    expect(seqs()).toEqual([12, 13]);
    expect((await m.reorderGaps.get()).values[0]?.value).toBe(1);
  });

  it('marks the seat as having missed events once a gap is skipped (ADR 0062: rooms authorizes it from then on), not while it fills in time', async () => {
    deliver(ev(12));
    await vi.advanceTimersByTimeAsync(WINDOW - 1);
    deliver(ev(11));
    expect(conn.rooms.get(ROOM)!.missedEvents).toBeUndefined();
    deliver(ev(14));
    await vi.advanceTimersByTimeAsync(WINDOW);
    expect(seqs()).toEqual([11, 12, 14]);
    expect(conn.rooms.get(ROOM)!.missedEvents).toBe(true);
  });

  it('skips several gaps one window after another', async () => {
    deliver(ev(12));
    deliver(ev(15));
    await vi.advanceTimersByTimeAsync(WINDOW);
    expect(seqs()).toEqual([12]);
    await vi.advanceTimersByTimeAsync(WINDOW);
    expect(seqs()).toEqual([12, 15]);
    expect((await m.reorderGaps.get()).values[0]?.value).toBe(2);
  });

  it('holds events that arrive during the join and replays those after the join seq, in order', () => {
    conn.rooms.set(ROOM, { lastSeq: null, early: [], ahead: new Map() });
    for (const s of [7, 5, 6]) deliver(ev(s));
    expect(seqs()).toEqual([]);
    delivery.joined(conn, ROOM, 5);
    expect(seqs()).toEqual([6, 7]);
    delivery.joined(conn, ROOM, 1); // a second completion changes nothing
    expect(seqs()).toEqual([6, 7]);
  });

  it('advances the cursor past events addressed to others without sending them', () => {
    deliver(ev(11, { onlyConnectionIds: ['c_other'] }));
    deliver(ev(12, { excludeConnectionId: conn.id }));
    deliver(ev(13));
    expect(seqs()).toEqual([13]);
    expect(conn.rooms.get(ROOM)!.lastSeq).toBe(13);
  });

  it('leaves the room on its own participant_left (by connection id) but not on another connection of the same user', () => {
    registry.add(conn);
    const other = connection('alice').conn;
    deliver(ev(11, { type: 'room.participant_left', leaveConnectionId: other.id, dataJson: JSON.stringify({ userId: 'alice', connectionId: other.id }) }));
    expect(conn.rooms.has(ROOM)).toBe(true);
    deliver(ev(12, { type: 'room.participant_left', leaveConnectionId: conn.id, dataJson: JSON.stringify({ userId: 'alice', connectionId: conn.id }) }));
    expect(conn.rooms.has(ROOM)).toBe(false);
    // no longer a member: later room events are not delivered
    deliver(ev(13));
    expect(seqs()).toEqual([11, 12]);
  });

  it('clears a pending gap timer when the connection leaves the room', async () => {
    registry.add(conn);
    deliver(ev(13));
    registry.leaveRoom(conn, ROOM);
    await vi.advanceTimersByTimeAsync(WINDOW * 2);
    expect(seqs()).toEqual([]);
    expect((await m.reorderGaps.get()).values[0]?.value ?? 0).toBe(0);
  });

  it('answers not_found for a closed connection and passes events outside a room straight through', () => {
    deliver(ev(0, { type: 'presence.changed', roomId: '' }));
    expect(socket.sent.map((f) => f.type)).toEqual(['presence.changed']);
    conn.dispose();
    expect(delivery.deliver(conn, ev(11))).toBe('not_found');
  });

  it('counts sent events per type once per turn, with the number of sockets (not one counter call per socket)', async () => {
    const others = [connection('bob'), connection('carol')];
    for (const o of others) o.conn.rooms.set(ROOM, { lastSeq: 10, early: [], ahead: new Map() });
    const inc = vi.spyOn(m.messagesOut, 'inc');
    const e = ev(11, { excludeConnectionId: others[1]!.conn.id });
    for (const c of [conn, ...others.map((o) => o.conn)]) expect(delivery.deliver(c, e)).toBeUndefined();
    deliver(ev(0, { type: 'presence.changed', roomId: '' }));
    expect(inc).not.toHaveBeenCalled();
    await Promise.resolve();
    expect(inc.mock.calls).toEqual([
      [{ type: 'chat.message' }, 2],
      [{ type: 'presence.changed' }, 1],
    ]);
    const value = async (type: string) => (await m.messagesOut.get()).values.find((v) => v.labels.type === type)?.value;
    expect(await value('chat.message')).toBe(2);
    // The next turn counts afresh.
    deliver(ev(12));
    await Promise.resolve();
    expect(await value('chat.message')).toBe(3);
  });

  it('property: any arrival order, with duplicates, comes out as each seq exactly once in order', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 }).chain((n) => fc.tuple(fc.shuffledSubarray(Array.from({ length: n }, (_, i) => 11 + i), { minLength: n }), fc.array(fc.integer({ min: 1, max: n + 10 }), { maxLength: 10 }))),
        ([order, dupes]) => {
          socket.sent.length = 0;
          conn.rooms.set(ROOM, { lastSeq: 10, early: [], ahead: new Map() });
          for (const s of [...order, ...dupes]) deliver(ev(s));
          expect(seqs()).toEqual([...order].sort((a, b) => a - b));
        },
      ),
    );
  });

  it('property: with some seqs lost for good, everything else still arrives in order once the windows pass', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 2, max: 20 }).chain((n) => fc.tuple(fc.constant(n), fc.shuffledSubarray(Array.from({ length: n }, (_, i) => 11 + i), { minLength: 1 }))), async ([, kept]) => {
        socket.sent.length = 0;
        conn.rooms.set(ROOM, { lastSeq: 10, early: [], ahead: new Map() });
        for (const s of kept) deliver(ev(s));
        await vi.advanceTimersByTimeAsync(WINDOW * (kept.length + 1));
        expect(seqs()).toEqual([...kept].sort((a, b) => a - b));
      }),
    );
  });

  it('is wired to the subscriptions: a room event on NATS reaches the connection in order', () => {
    const nats = new FakeNats();
    const subs = new Subscriptions(nats.asConnection(), m, silentLogger);
    const reg = new ConnectionRegistry(subs, m);
    const d = new EventDelivery(reg, m, gatewayConfig({ REORDER_WINDOW_MS: String(WINDOW) }));
    subs.onEvent((c, e) => d.deliver(c, e)); // as GatewayWiring connects them
    conn.rooms.clear();
    reg.add(conn);
    reg.beginJoin(conn, ROOM);
    d.joined(conn, ROOM, 10);
    nats.event(subjects.room(ROOM), { type: 'chat.message', roomId: ROOM, seq: 12 });
    nats.event(subjects.room(ROOM), { type: 'chat.message', roomId: ROOM, seq: 11 });
    expect(seqs()).toEqual([11, 12]);
  });
});
