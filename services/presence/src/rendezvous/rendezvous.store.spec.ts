import { createRedis } from '@switchboard/platform';
import { afterAll, describe, expect, it } from 'vitest';
import { RendezvousStore, type RendezvousEntry } from './rendezvous.store.js';
import { slot } from '@switchboard/testing/slot';

describe('RendezvousStore', () => {
  const redis = createRedis(slot().redisUrl);
  const store = new RendezvousStore(redis);
  afterAll(() => redis.quit());
  const tag = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const entry = (who: string, ttl: number): RendezvousEntry => ({ connectionId: `c_${who}_${tag}`, userId: `u_${who}_${tag}`, exp: Date.now() + ttl });
  const until = async (check: () => Promise<boolean>) => {
    for (let i = 0; i < 200 && !(await check()); i++) await new Promise((r) => setTimeout(r, 20));
    return check();
  };

  it('exchanges dead drops between users of a point, and drops them after their TTL', async () => {
    const point = `point-${tag}`;
    expect(await store.daily(entry('a', 300), [{ point, deadDrop: 'A' }], 300)).toEqual([[]]);
    const [[seen]] = await store.daily(entry('b', 60_000), [{ point, deadDrop: 'B' }], 60_000);
    expect(seen).toMatchObject({ userId: `u_a_${tag}`, deadDrop: 'A' });
    // A's entry expires (pruned on touch) while B's lives on.
    expect(await until(async () => (await store.daily(entry('c', 60_000), [{ point, deadDrop: 'C' }], 60_000))[0].every((e) => e.deadDrop !== 'A'))).toBe(true);
    const [others] = await store.daily(entry('d', 60_000), [{ point, deadDrop: 'D' }], 60_000);
    expect(others.map((e) => e.deadDrop).sort()).toEqual(['B', 'C']);
  });

  it('drops an hourly entry after its TTL', async () => {
    const token = `token-${tag}`;
    await store.hourly(entry('x', 200), [token], 200);
    expect(await until(async () => (await store.hourly(entry('z', 60_000), [token], 60_000))[0].length === 0)).toBe(true);
  });

  it('matches peers on an hourly token and forgets a connection that is gone', async () => {
    const token = `live-${tag}`;
    const p = entry('p', 60_000);
    expect(await store.hourly(p, [token], 60_000)).toEqual([[]]);
    const [[found]] = await store.hourly(entry('q', 60_000), [token], 60_000);
    expect(found.connectionId).toBe(p.connectionId);
    await store.dropConnection(p.connectionId);
    const [rest] = await store.hourly(entry('r', 60_000), [token], 60_000);
    expect(rest.map((e) => e.connectionId)).toEqual([`c_q_${tag}`]);
  });
});
