import { bus as proto } from '@switchboard/proto';
import { subjects } from '@switchboard/protocol';
import { NATS_TEST_PASSWORD, NATS_TEST_USER } from '@switchboard/testing/infra';
import { slot } from '@switchboard/testing/slot';
import { uid } from '@switchboard/testing/stack';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLogger } from './logger.js';
import { createMetricsRegistry, natsMetrics } from './metrics.js';
import { CommandBus, connectNats, type NatsConnection } from './nats.js';
import { createRedis } from './redis.js';
import { RoomEventsPublisher, seqKey } from './room-events.publisher.js';

const logger = createLogger({ service: 'test', level: 'silent', nodeId: 'n', production: false });

/** Real NATS and Redis (this worker's slot); room ids are unique per test. */
describe('RoomEventsPublisher.toRoomCoalesced: one INCRBY per room and drain, published in call order (ADR 0084)', () => {
  let nc: NatsConnection;
  let events: RoomEventsPublisher;
  const redis = createRedis(slot().redisUrl);

  /** The room events published on `roomId`'s subject, as (seq, text) in arrival order. */
  const watch = (roomId: string) => {
    const seen: { seq: number; text: string }[] = [];
    nc.subscribe(subjects.room(roomId), {
      callback: (_err, m) => {
        const e = proto.Event.decode(m.data);
        seen.push({ seq: e.seq, text: (JSON.parse(new TextDecoder().decode(e.data)) as { message: { text: string } }).message.text });
      },
    });
    return seen;
  };
  const until = async (cond: () => boolean) => {
    for (let i = 0; i < 400 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
    expect(cond()).toBe(true);
  };
  /** A valid chat.message body (contract checks run in tests). */
  const message = (roomId: string, text: string) => ({
    message: { id: uid('m'), roomId, userId: 'u1', text, clientMsgId: uid('c'), attachments: [], createdAt: Date.now(), deleted: false, reactions: {}, reactedBy: {}, pinned: false },
  });

  beforeAll(async () => {
    nc = await connectNats(slot().natsUrl, 'test', logger, { user: NATS_TEST_USER, password: NATS_TEST_PASSWORD });
    events = new RoomEventsPublisher(new CommandBus(nc, natsMetrics(createMetricsRegistry('test', 'n')), logger, 500), redis);
  });
  afterAll(async () => {
    await nc.close();
    await redis.quit();
  });

  it('takes a drain’s seqs with one command per room and publishes each room’s events in call order', async () => {
    const [a, b] = [uid('ra'), uid('rb')];
    const [seenA, seenB] = [watch(a), watch(b)];
    await nc.flush();
    await redis.set(seqKey(a), 7); // a room with history: its next seqs follow
    const incrby = vi.spyOn(redis, 'incrby');
    const incr = vi.spyOn(redis, 'incr');
    // Interleaved calls in one drain, as a group-commit batch's sends settle.
    const calls = ['a0', 'b0', 'a1', 'a2', 'b1', 'a3'].map((t) => events.toRoomCoalesced(t[0] === 'a' ? a : b, 'chat.message', message(t[0] === 'a' ? a : b, t)));
    expect(await Promise.all(calls)).toEqual([8, 1, 9, 10, 2, 11]);
    expect(incrby.mock.calls.map((c) => c.slice(0, 2))).toEqual(
      expect.arrayContaining([
        [seqKey(a), 4],
        [seqKey(b), 2],
      ]),
    );
    expect(incrby).toHaveBeenCalledTimes(2);
    expect(incr).not.toHaveBeenCalled();
    await until(() => seenA.length === 4 && seenB.length === 2);
    expect(seenA).toEqual([
      { seq: 8, text: 'a0' },
      { seq: 9, text: 'a1' },
      { seq: 10, text: 'a2' },
      { seq: 11, text: 'a3' },
    ]);
    expect(seenB).toEqual([
      { seq: 1, text: 'b0' },
      { seq: 2, text: 'b1' },
    ]);
    incrby.mockRestore();
    incr.mockRestore();
  });

  it('a lone event takes a plain INCR, and later drains and toRoom continue the same counter', async () => {
    const room = uid('rc');
    const seen = watch(room);
    await nc.flush();
    expect(await events.toRoomCoalesced(room, 'chat.message', message(room, 'one'))).toBe(1);
    expect(await Promise.all([events.toRoomCoalesced(room, 'chat.message', message(room, 'two')), events.toRoomCoalesced(room, 'chat.message', message(room, 'three'))])).toEqual([2, 3]);
    expect(await events.toRoom(room, 'chat.message', message(room, 'four'))).toBe(4);
    await until(() => seen.length === 4);
    expect(seen.map((e) => `${e.seq}:${e.text}`)).toEqual(['1:one', '2:two', '3:three', '4:four']);
  });

  it('a failed INCRBY rejects every event of that room and nothing is published; other rooms go on', async () => {
    const [bad, good] = [uid('rd'), uid('re')];
    const [seenBad, seenGood] = [watch(bad), watch(good)];
    await nc.flush();
    const original = redis.incrby.bind(redis);
    const incrby = vi.spyOn(redis, 'incrby').mockImplementation(((key: string, n: number) => (key === seqKey(bad) ? Promise.reject(new Error('redis down')) : original(key, n))) as never);
    const results = await Promise.allSettled([
      events.toRoomCoalesced(bad, 'chat.message', message(bad, 'x')),
      events.toRoomCoalesced(good, 'chat.message', message(good, 'y')),
      events.toRoomCoalesced(bad, 'chat.message', message(bad, 'z')),
      events.toRoomCoalesced(good, 'chat.message', message(good, 'w')),
    ]);
    incrby.mockRestore();
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'rejected', 'fulfilled']);
    await until(() => seenGood.length === 2);
    expect(seenGood.map((e) => e.text)).toEqual(['y', 'w']);
    await nc.flush();
    expect(seenBad).toEqual([]);
    expect(await redis.get(seqKey(bad))).toBeNull();
  });
});
