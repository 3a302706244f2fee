import { createRedis } from '@switchboard/platform';
import { slot } from '@switchboard/testing/slot';
import { afterAll, describe, expect, it } from 'vitest';
import { UserConnectionsStore } from './user-connections.store.js';

/** Real Redis (the test run's private one); ids are unique per run so nothing collides. */
describe('UserConnectionsStore', () => {
  const redis = createRedis(slot().redisUrl);
  const store = new UserConnectionsStore(redis);
  afterAll(() => redis.quit());
  const tag = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const key = (u: string) => `sb:gw:{user:${u}}:conns`;

  it('caps slots per user, and a heartbeat extends only the leases still held', async () => {
    const [u, v] = [`u1_${tag}`, `u2_${tag}`];
    expect(await store.take(u, 'c1', 2, 60_000)).toBe(true);
    expect(await store.take(u, 'c2', 2, 60_000)).toBe(true);
    expect(await store.take(u, 'c3', 2, 60_000)).toBe(false);
    expect(await store.take(v, 'd1', 2, 60_000)).toBe(true);
    await store.release(u, 'c2');
    const before = Number(await redis.zscore(key(u), 'c1'));
    await store.refresh(
      [
        { userId: u, connectionId: 'c1' },
        { userId: u, connectionId: 'c2' },
        { userId: v, connectionId: 'd1' },
      ],
      600_000,
    );
    expect(Number(await redis.zscore(key(u), 'c1'))).toBeGreaterThan(before + 500_000);
    expect(await redis.zscore(key(u), 'c2')).toBeNull(); // released: not brought back
    expect(Number(await redis.zscore(key(v), 'd1'))).toBeGreaterThan(Date.now() + 500_000);
    expect(await redis.pttl(key(u))).toBeGreaterThan(500_000);
    expect(await store.take(u, 'c3', 2, 60_000)).toBe(true);
  });

  it('frees the slots of a gateway that stopped refreshing once their lease lapsed', async () => {
    const u = `u3_${tag}`;
    expect(await store.take(u, 'c1', 1, 1)).toBe(true);
    await expect.poll(() => store.take(u, 'c2', 1, 60_000), { timeout: 5000, interval: 5 }).toBe(true);
  });
});
