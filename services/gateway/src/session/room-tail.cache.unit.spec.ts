import { ProtocolError, subjects } from '@switchboard/protocol';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DeliveredEvent } from '../connections/connection.js';
import { FakeNats, gatewayConfig, metrics, silentLogger } from '../testing/fakes.test.js';
import type { RoomHistoryStore } from './room-history.store.js';
import { Subscriptions } from '../routing/subscriptions.js';
import { RoomTailCache } from './room-tail.cache.js';

const ev = (roomId: string, seq: number, text = `m${seq}`): DeliveredEvent => ({ type: 'chat.message', roomId, seq, ts: 1, dataJson: JSON.stringify({ text }), excludeConnectionId: '', onlyConnectionIds: [] });

/** The stream as the history store reads it: per room, what is retained; counts the reads. */
class FakeHistory {
  readonly retainedByRoom = new Map<string, DeliveredEvent[]>();
  reads = 0;
  sinceReads = 0;
  gate?: Promise<void>;
  fail = false;
  async retained(roomId: string): Promise<DeliveredEvent[]> {
    this.reads++;
    await this.gate;
    if (this.fail) throw new ProtocolError('unavailable', 'room history is unavailable');
    return (this.retainedByRoom.get(roomId) ?? []).map((e) => ({ ...e }));
  }
  async since(roomId: string, afterSeq: number, currentSeq: number): Promise<DeliveredEvent[] | null> {
    this.sinceReads++;
    if (currentSeq <= afterSeq) return [];
    const events = (this.retainedByRoom.get(roomId) ?? []).filter((e) => e.seq > afterSeq);
    return events[0]?.seq === afterSeq + 1 ? events : null;
  }
}

let n = 0;
const setup = (over: Parameters<typeof gatewayConfig>[0] = {}) => {
  const nats = new FakeNats();
  const history = new FakeHistory();
  const m = metrics();
  const cache = new RoomTailCache(new Subscriptions(nats.asConnection(), m, silentLogger), history as unknown as RoomHistoryStore, gatewayConfig(over), m, silentLogger);
  const room = () => `r_tail${++n}`;
  const live = (roomId: string, seq: number, text = `m${seq}`) => nats.event(subjects.room(roomId), { type: 'chat.message', roomId, seq, data: { text } });
  const reads = async (source: string) => (await m.resumeHistoryReads.get()).values.find((v) => v.labels.source === source)?.value ?? 0;
  return { nats, history, cache, room, live, reads };
};
const seqs = (events: DeliveredEvent[] | null) => events?.map((e) => e.seq) ?? null;

afterEach(() => vi.useRealTimers());

describe('RoomTailCache (shared replay reads, ADR 0060)', () => {
  it('reads a room from its stream once and serves every resume of it, live events included, in seq order', async () => {
    const { history, cache, room, live, reads } = setup();
    const r = room();
    history.retainedByRoom.set(r, [1, 2, 3, 4].map((s) => ev(r, s)));
    const first = cache.follow(r);
    expect(seqs(await cache.since(first, r, 2, 4))).toEqual([3, 4]);
    // Published after the read: the tail has them from the room subject, out of order and twice.
    live(r, 6);
    live(r, 5);
    live(r, 6);
    for (let i = 0; i < 9; i++) {
      const tail = cache.follow(r);
      expect(seqs(await cache.since(tail, r, i % 5, 6))).toEqual([1, 2, 3, 4, 5, 6].filter((s) => s > i % 5));
    }
    expect(history.reads).toBe(1);
    expect(history.sinceReads).toBe(0);
    expect(await reads('tail')).toBe(10);
    expect(await reads('stream')).toBe(1);
    expect(cache.stats()).toMatchObject({ rooms: 1, events: 6 });
  });

  it('hands out copies: one replay rewriting its events changes nothing for the next', async () => {
    const { history, cache, room } = setup();
    const r = room();
    history.retainedByRoom.set(r, [ev(r, 1)]);
    const tail = cache.follow(r);
    const mine = (await cache.since(tail, r, 0, 1))!;
    mine[0].onlyConnectionIds = ['c_mine'];
    mine[0].dataJson = '{"text":""}';
    mine[0].frame = undefined;
    const next = (await cache.since(tail, r, 0, 1))!;
    expect(next[0]).toMatchObject({ onlyConnectionIds: [], dataJson: '{"text":"m1"}' });
    // The frame is built once and shared by the copies.
    expect(next[0].frame).toContain('"seq":1');
  });

  it('merges live events that arrive while the stream is read, and concurrent resumes share that one read', async () => {
    const { history, cache, room, live } = setup();
    const r = room();
    history.retainedByRoom.set(r, [1, 2, 3].map((s) => ev(r, s)));
    let open!: () => void;
    history.gate = new Promise((resolve) => (open = resolve));
    const tail = cache.follow(r);
    const a = cache.since(tail, r, 0, 5);
    const b = cache.since(cache.follow(r), r, 2, 5);
    live(r, 3); // also in the stream
    live(r, 5);
    live(r, 4);
    open();
    expect(seqs(await a)).toEqual([1, 2, 3, 4, 5]);
    expect(seqs(await b)).toEqual([3, 4, 5]);
    expect(history.reads).toBe(1);
  });

  it('serves only whole ranges: a seq still on its way is waited for (up to the reorder window), one that never comes sends the resume to the stream', async () => {
    const { history, cache, room, live } = setup({ REORDER_WINDOW_MS: '200' });
    const r = room();
    history.retainedByRoom.set(r, [1, 2].map((s) => ev(r, s)));
    const tail = cache.follow(r);
    expect(seqs(await cache.since(tail, r, 0, 2))).toEqual([1, 2]);
    live(r, 4);
    // 3 is in flight (its publisher took the seq first): the tail waits for it.
    const waiting = cache.since(tail, r, 1, 4);
    setTimeout(() => live(r, 3), 20);
    expect(seqs(await waiting)).toEqual([2, 3, 4]);
    expect(history.sinceReads).toBe(0);
    // 5 and 6 never come (their publisher died, or this replica's NATS connection dropped them): the stream answers.
    live(r, 7);
    history.retainedByRoom.set(r, [1, 2, 3, 4, 7].map((s) => ev(r, s)));
    expect(await cache.since(tail, r, 4, 7)).toBeNull(); // the stream has no 5 either: history_lost
    expect(history.sinceReads).toBe(1);
    // Later events than currentSeq are not replayed: they reach the connection live.
    expect(seqs(await cache.since(tail, r, 1, 3))).toEqual([2, 3]);
  });

  it('leaves to the stream what the tail cannot prove: older than it holds, a room the stream kept nothing of, a tail dropped since follow', async () => {
    const { history, cache, room } = setup({ RESUME_TAIL_ROOM_MAX_EVENTS: '3', RESUME_TAIL_MAX_ROOMS: '1' });
    const r = room();
    history.retainedByRoom.set(r, [1, 2, 3, 4, 5].map((s) => ev(r, s)));
    const tail = cache.follow(r);
    // The cap keeps 3..5: from 3 on the tail answers, before that the stream.
    expect(seqs(await cache.since(tail, r, 2, 5))).toEqual([3, 4, 5]);
    expect(history.sinceReads).toBe(0);
    expect(seqs(await cache.since(tail, r, 1, 5))).toEqual([2, 3, 4, 5]);
    expect(history.sinceReads).toBe(1);
    // Nothing retained (expired): the stream says history_lost, not the tail.
    const empty = room();
    const emptyTail = cache.follow(empty); // evicts r (one room at most)
    expect(await cache.since(emptyTail, empty, 0, 3)).toBeNull();
    expect(history.sinceReads).toBe(2);
    // r's tail was dropped after it was followed: it stopped seeing live events, the stream answers.
    expect(seqs(await cache.since(tail, r, 4, 5))).toEqual([5]);
    expect(history.sinceReads).toBe(3);
    // Nothing missed: no read at all.
    expect(await cache.since(cache.follow(r), r, 5, 5)).toEqual([]);
  });

  it('holds at most RESUME_TAIL_ROOM_MAX_EVENTS per room, RESUME_TAIL_MAX_ROOMS rooms (least recently used go, unsubscribed) and RESUME_TAIL_MAX_BYTES', async () => {
    const { nats, history, cache, room, live } = setup({ RESUME_TAIL_ROOM_MAX_EVENTS: '4', RESUME_TAIL_MAX_ROOMS: '2', RESUME_TAIL_MAX_BYTES: String(64 * 1024) });
    const [a, b, c] = [room(), room(), room()];
    history.retainedByRoom.set(a, [ev(a, 1)]);
    const ta = cache.follow(a);
    await cache.since(ta, a, 0, 1);
    for (let s = 2; s <= 10; s++) live(a, s);
    expect(cache.stats()).toMatchObject({ rooms: 1, events: 4 });
    expect(seqs(await cache.since(ta, a, 6, 10))).toEqual([7, 8, 9, 10]);
    cache.follow(b);
    cache.follow(a); // a is now the most recently used
    cache.follow(c);
    expect(cache.stats().rooms).toBe(2);
    expect(nats.subjects().sort()).toEqual([subjects.room(a), subjects.room(c)].sort());
  });

  it('keeps the total under RESUME_TAIL_MAX_BYTES: the least recently used room goes first, then the last one keeps only its newest events', async () => {
    const { nats, history, cache, room, live } = setup({ RESUME_TAIL_MAX_BYTES: String(64 * 1024) });
    const [x, y] = [room(), room()];
    history.retainedByRoom.set(x, [ev(x, 1)]);
    history.retainedByRoom.set(y, [ev(y, 1)]);
    await cache.since(cache.follow(x), x, 0, 1);
    const ty = cache.follow(y);
    await cache.since(ty, y, 0, 1);
    // ~20 KiB held each: the body, and the JSON frame built when a live event arrives (ADR 0096).
    const big = 'x'.repeat(10 * 1024);
    for (let s = 2; s <= 7; s++) {
      live(y, s, big);
      expect(cache.stats().bytes).toBeLessThanOrEqual(64 * 1024);
    }
    expect(nats.subjects()).toEqual([subjects.room(y)]);
    expect(cache.stats().events).toBe(3);
    expect(seqs(await cache.since(ty, y, 5, 7))).toEqual([6, 7]);
    // Older than what is left: the stream answers (it has only seq 1 here, so history_lost).
    expect(await cache.since(ty, y, 2, 7)).toBeNull();
  });

  it('drops a room nobody resumed for RESUME_TAIL_IDLE_MS and unsubscribes it', async () => {
    vi.useFakeTimers();
    const { nats, history, cache, room } = setup({ RESUME_TAIL_IDLE_MS: '1000' });
    const [a, b] = [room(), room()];
    history.retainedByRoom.set(a, [ev(a, 1)]);
    await cache.since(cache.follow(a), a, 0, 1);
    vi.advanceTimersByTime(600);
    cache.follow(b);
    // Swept every half idle time: gone between 1 and 1.5 idle times after its last use.
    vi.advanceTimersByTime(400);
    expect(nats.subjects()).toHaveLength(2);
    vi.advanceTimersByTime(600);
    expect(nats.subjects()).toEqual([subjects.room(b)]);
    vi.advanceTimersByTime(1000);
    expect(nats.subjects()).toEqual([]);
    expect(cache.stats()).toEqual({ rooms: 0, events: 0, bytes: 0 });
  });

  it('answers unavailable when the stream cannot be read, and reads again on the next resume', async () => {
    const { history, cache, room } = setup();
    const r = room();
    history.retainedByRoom.set(r, [ev(r, 1)]);
    history.fail = true;
    const tail = cache.follow(r);
    await expect(cache.since(tail, r, 0, 1)).rejects.toMatchObject({ code: 'unavailable' });
    history.fail = false;
    expect(seqs(await cache.since(tail, r, 0, 1))).toEqual([1]);
    expect(history.reads).toBe(2);
  });

  it('is off with RESUME_TAIL_MAX_ROOMS=0: every resume reads the stream, nothing is subscribed', async () => {
    const { nats, history, cache, room } = setup({ RESUME_TAIL_MAX_ROOMS: '0' });
    const r = room();
    history.retainedByRoom.set(r, [ev(r, 1)]);
    expect(cache.follow(r)).toBeUndefined();
    expect(seqs(await cache.since(undefined, r, 0, 1))).toEqual([1]);
    expect(nats.subjects()).toEqual([]);
    expect(history.sinceReads).toBe(1);
  });
});
