import { createRedis } from '@switchboard/platform';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { DEADLINES, LivenessStore, OPEN_CHUNK, type ConnectionRecord } from './liveness.store.js';
import { slot } from '@switchboard/testing/slot';

/** Real Redis (the test run's private one); ids are unique per run so nothing collides. */
describe('LivenessStore', () => {
  const redis = createRedis(slot().redisUrl);
  const store = new LivenessStore(redis);
  afterAll(() => redis.quit());
  const tag = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  let n = 0;
  const rec = (over: Partial<ConnectionRecord> = {}): ConnectionRecord => ({
    connectionId: `c_${tag}_${n++}`,
    userId: `u_${tag}`,
    sessionId: 's',
    nodeId: `n_${tag}`,
    device: 'phone',
    connectedAt: Date.now(),
    boot: 'b1',
    ...over,
  });

  it('claims a connection exactly once however many replicas race for it', async () => {
    const c = rec({ userId: `race_${tag}` });
    expect(await store.open(c, 60_000, 'none')).toEqual({ replaced: [] });
    const results = await Promise.all(Array.from({ length: 20 }, () => store.claim(c.connectionId, 60_000)));
    const winners = results.filter(Boolean);
    expect(winners).toHaveLength(1);
    expect(winners[0]).toMatchObject({ connectionId: c.connectionId, userId: c.userId, nodeId: c.nodeId, device: 'phone' });
    expect(await store.ofUser(c.userId)).toEqual([]);
    expect((await store.alive([c.connectionId])).size).toBe(0);
  });

  it('never resurrects a claimed connection from a retried open report', async () => {
    const c = rec();
    await store.open(c, 60_000, 'none');
    expect(await store.open(c, 60_000, 'none')).toBeUndefined(); // duplicate report
    await store.claim(c.connectionId, 60_000);
    expect(await store.open(c, 60_000, 'none')).toBeUndefined();
    expect((await store.alive([c.connectionId])).size).toBe(0);
  });

  it('applies the duplicate-login policy: none, one per device, one per user', async () => {
    const user = (p: string) => `${p}_${tag}`;
    const a = rec({ userId: user('none') });
    await store.open(a, 60_000, 'none');
    expect(await store.open(rec({ userId: user('none') }), 60_000, 'none')).toEqual({ replaced: [] });

    const phone = rec({ userId: user('dev'), device: 'phone' });
    await store.open(phone, 60_000, 'device');
    expect(await store.open(rec({ userId: user('dev'), device: 'laptop' }), 60_000, 'device')).toEqual({ replaced: [] });
    expect(await store.open(rec({ userId: user('dev'), device: 'phone' }), 60_000, 'device')).toEqual({ replaced: [phone.connectionId] });

    const first = rec({ userId: user('usr'), device: 'phone' });
    await store.open(first, 60_000, 'user');
    expect(await store.open(rec({ userId: user('usr'), device: 'laptop' }), 60_000, 'user')).toEqual({ replaced: [first.connectionId] });
  });

  it('keeps the newest connection of a device when the reports arrive out of order (two gateways)', async () => {
    const user = `late_${tag}`;
    const older = rec({ userId: user, device: 'phone', connectedAt: Date.now() - 1000 });
    const newer = rec({ userId: user, device: 'phone', connectedAt: Date.now() });
    // The newer connection's gateway reported first: the older one, registered second, is replaced by it.
    expect(await store.open(newer, 60_000, 'device')).toEqual({ replaced: [] });
    expect(await store.open(older, 60_000, 'device')).toEqual({ replaced: [], replacedBy: newer.connectionId });
    // In order, the newer one replaces the older one as before.
    const third = rec({ userId: user, device: 'phone', connectionId: `c_${tag}_third`, connectedAt: Date.now() + 1000 });
    expect((await store.open(third, 60_000, 'device'))?.replaced.sort()).toEqual([newer.connectionId, older.connectionId].sort());
  });

  it('finds lapsed deadlines from the head of the set and renews them with the node report', async () => {
    const node = `lapse_${tag}`;
    const c = rec({ nodeId: node });
    await store.open(c, 60_000, 'none');
    const later = Date.now() + 90_000; // as seen by a sweep 90 s from now
    expect(await store.lapsed(later, 100_000)).toContain(c.connectionId);
    const { held, previousBoot, renewed } = await store.refresh(node, 'b1', 120_000, 60_000);
    expect({ held, previousBoot, renewed }).toEqual({ held: 1, previousBoot: '', renewed: true });
    expect(await store.lapsed(later, 100_000)).not.toContain(c.connectionId);
    expect((await store.refresh(node, 'b2', 60_000, 60_000)).previousBoot).toBe('b1');
  });

  it('writes every deadline a full TTL ahead, so the sweep may sleep until the earliest one (ADR 0072)', async () => {
    const node = `ahead_${tag}`;
    const c = rec({ nodeId: node });
    const opened = Date.now();
    await store.open(c, 60_000, 'none');
    const score = async () => Number(await redis.zscore(DEADLINES, c.connectionId));
    expect(await score()).toBeGreaterThanOrEqual(opened + 60_000);
    // The set is shared with the other tests: the earliest is at most this one's.
    expect(await store.earliestDeadline()).toBeLessThanOrEqual(await score());
    const renewed = Date.now();
    expect((await store.refresh(node, 'b1', 120_000, 60_000)).renewed).toBe(true);
    expect(await score()).toBeGreaterThanOrEqual(renewed + 120_000);
  });

  it('renews a node\'s deadlines at most once per renewal period, however often it reports', async () => {
    const node = `renew_${tag}`;
    const c = rec({ nodeId: node });
    await store.open(c, 60_000, 'none');
    const deadline = async () => Number(await redis.zscore(DEADLINES, c.connectionId));
    expect((await store.refresh(node, 'b1', 60_000, 60_000)).renewed).toBe(true);
    const first = await deadline();
    // A storm's reports within the period: lease and count still answered, deadlines left alone.
    const again = await store.refresh(node, 'b1', 600_000, 60_000);
    expect(again).toEqual({ previousBoot: 'b1', held: 1, renewed: false });
    expect(await deadline()).toBe(first);
    // Opens in between are counted at once (they carry their own deadline).
    await store.open(rec({ nodeId: node }), 60_000, 'none');
    expect((await store.refresh(node, 'b1', 60_000, 60_000)).held).toBe(2);
    // Once the period is over, the next report renews again.
    const short = `short_${tag}`;
    const d = rec({ nodeId: short });
    await store.open(d, 60_000, 'none');
    expect((await store.refresh(short, 'b1', 60_000, 20)).renewed).toBe(true);
    await vi.waitFor(async () => expect((await store.refresh(short, 'b1', 600_000, 20)).renewed).toBe(true), { timeout: 5000, interval: 10 });
    expect(Number(await redis.zscore(DEADLINES, d.connectionId))).toBeGreaterThan(Date.now() + 300_000);
  });

  it('opens a report\'s connections in one batch, in order, as if sent one after the other', async () => {
    const user = `batch_${tag}`;
    const phone = rec({ userId: user, device: 'phone' });
    const laptop = rec({ userId: user, device: 'laptop' });
    const phone2 = rec({ userId: user, device: 'phone' });
    // The second phone replaces the first of the same batch; the repeated id is a no-op.
    expect(await store.openMany([phone, laptop, phone, phone2], 60_000, 'device')).toEqual([{ replaced: [] }, { replaced: [] }, undefined, { replaced: [phone.connectionId] }]);
    const claimed = rec();
    await store.open(claimed, 60_000, 'none');
    await store.claim(claimed.connectionId, 60_000);
    expect(await store.openMany([claimed, rec()], 60_000, 'none')).toEqual([undefined, { replaced: [] }]);
  });

  it(`splits a batch above ${OPEN_CHUNK} connections and keeps one result per connection`, async () => {
    const node = `chunk_${tag}`;
    const recs = Array.from({ length: OPEN_CHUNK * 2 + 1 }, (_, i) => rec({ nodeId: node, userId: `chunk_${tag}_${i % 7}` }));
    const calls = vi.spyOn(redis, 'eval');
    const results = await store.openMany(recs, 60_000, 'none');
    expect(calls).toHaveBeenCalledTimes(3);
    calls.mockRestore();
    expect(results).toHaveLength(recs.length);
    expect(results.every((r) => r?.replaced.length === 0 && !r.replacedBy)).toBe(true);
    expect(await store.heldCount(node)).toBe(recs.length);
    expect((await store.alive(recs.map((r) => r.connectionId))).size).toBe(recs.length);
    expect(await store.ofUser(`chunk_${tag}_3`)).toHaveLength(recs.filter((r) => r.userId === `chunk_${tag}_3`).length);
  });
});
