import { createRedis } from '@switchboard/platform';
import { slot } from '@switchboard/testing/slot';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { LivenessStore } from '../liveness/liveness.store.js';
import { PresenceStore, SETTLE_CHUNK } from './presence.store.js';

/** Real Redis (the test run's private one); ids are unique per run so nothing collides. */
describe('PresenceStore.settleMany', () => {
  const redis = createRedis(slot().redisUrl);
  const store = new PresenceStore(redis);
  const liveness = new LivenessStore(redis);
  afterAll(() => redis.quit());
  const tag = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  let n = 0;
  const open = (userId: string, device = 'phone', connectionId = `c_${tag}_${n++}`) =>
    liveness.open({ connectionId, userId, sessionId: 's', nodeId: `n_${tag}`, device, connectedAt: Date.now(), boot: 'b1' }, 60_000, 'none');

  it('settles each user as a single settle would: a visible change once, then no change', async () => {
    const [online, offline, invisible] = ['on', 'off', 'inv'].map((p) => `${p}_${tag}`);
    await open(online, 'phone');
    await open(online, 'laptop');
    await open(invisible);
    await store.setStatus(invisible, 'invisible', '', 60_000);
    const first = await store.settleMany([online, offline, invisible], 60_000, 30_000);
    expect(first.map((r) => r.changed)).toEqual([true, false, false]);
    expect(first[0].presence).toMatchObject({ userId: online, status: 'online' });
    expect(first[0].presence.devices.sort()).toEqual(['laptop', 'phone']);
    expect(first[1].presence).toMatchObject({ userId: offline, status: 'online', devices: [] });
    expect(first[2].presence).toMatchObject({ userId: invisible, status: 'invisible' });
    expect((await store.settleMany([online], 60_000, 30_000))[0].changed).toBe(false);
    expect((await store.settle(online, 60_000, 30_000)).changed).toBe(false);
  });

  it(`splits above ${SETTLE_CHUNK} users and answers one result per user, in order`, async () => {
    const users = Array.from({ length: SETTLE_CHUNK + 1 }, (_, i) => `many_${tag}_${i}`);
    await open(users[SETTLE_CHUNK]);
    const calls = vi.spyOn(redis, 'eval');
    const results = await store.settleMany(users, 60_000, 30_000);
    expect(calls).toHaveBeenCalledTimes(2);
    calls.mockRestore();
    expect(results.map((r) => r.presence.userId)).toEqual(users);
    expect(results.filter((r) => r.changed).map((r) => r.presence.userId)).toEqual([users[SETTLE_CHUNK]]);
  });

  it('reports a change as watched only while a live (or just subscribed) connection watches the user', async () => {
    const user = `w_${tag}`;
    const watcher = `cw_${tag}`;
    await open(user);
    expect(await store.settle(user, 60_000, 30_000)).toMatchObject({ changed: true, watched: false });
    // Subscribed, not registered as live yet (its open report may still be on the way): counts within the grace.
    await store.watch(watcher, [user]);
    await store.setStatus(user, 'busy', '', 60_000);
    expect(await store.settle(user, 60_000, 30_000)).toMatchObject({ changed: true, watched: true });
    await store.unwatch(watcher, [user]);
    await store.setStatus(user, 'away', '', 60_000);
    expect(await store.settle(user, 60_000, 30_000)).toMatchObject({ changed: true, watched: false });
    // Past the grace, a watcher counts only while it is live; a gone one is dropped.
    await store.watch(watcher, [user]);
    await open(`viewer_${tag}`, 'phone', watcher);
    await store.setStatus(user, 'busy', '', 60_000);
    expect(await store.settle(user, 60_000, 0)).toMatchObject({ changed: true, watched: true });
    await liveness.claim(watcher, 60_000);
    await store.setStatus(user, 'away', '', 60_000);
    expect(await store.settle(user, 60_000, -1)).toMatchObject({ changed: true, watched: false });
    expect(await redis.hlen(`sb:{pr}:user:${user}:watchers`)).toBe(0);
  });
});
