import { createRedis } from './redis.js';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { DueStore } from './due.store.js';

/** Real Redis (the test run's private one); set names are unique per test. */
describe('DueStore (at least once, with a lease)', () => {
  const redis = createRedis(inject('redisUrl'));
  const store = new DueStore(redis, { SWEEP_LEASE_MS: 1000 });
  afterAll(() => redis.quit());
  let n = 0;
  const set = () => `sb:test:due:${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}:${n++}`;

  it('keeps a claimed entry until it is completed, and hands it out again after the lease', async () => {
    const s = set();
    await store.schedule(s, 'a', 1000);
    const [claim] = await store.claimDue(s, { now: 2000 });
    expect(claim).toMatchObject({ member: 'a' });
    // Leased: not due for anyone else within the lease, but still stored.
    expect(await store.claimDue(s, { now: 2500 })).toEqual([]);
    expect(await redis.zscore(s, 'a')).not.toBeNull();
    // The claimer died: after the lease another replica claims it.
    const [again] = await store.claimDue(s, { now: 3100 });
    expect(again?.member).toBe('a');
    expect(await store.complete(s, again!)).toBe(true);
    expect(await redis.zcard(s)).toBe(0);
  });

  it('hands each due entry to exactly one of many racing claimers', async () => {
    const s = set();
    for (let i = 0; i < 50; i++) await store.schedule(s, `m${i}`, 1000);
    const claims = (await Promise.all(Array.from({ length: 10 }, () => store.claimDue(s, { now: 2000, limit: 20 })))).flat();
    expect(claims.map((c) => c.member).sort()).toEqual(Array.from({ length: 50 }, (_, i) => `m${i}`).sort());
  });

  it('does not remove an entry scheduled again while it was being handled', async () => {
    const s = set();
    await store.schedule(s, 'a', 1000);
    const [claim] = await store.claimDue(s, { now: 2000 });
    await store.schedule(s, 'a', 9000);
    expect(await store.complete(s, claim!)).toBe(false);
    expect(Number(await redis.zscore(s, 'a'))).toBe(9000);
  });

  it('sweep completes what was handled and leaves a failed entry leased for a retry', async () => {
    const s = set();
    await store.schedule(s, 'ok', 1000);
    await store.schedule(s, 'bad', 1000);
    const seen: string[] = [];
    await expect(
      store.sweep(
        s,
        async (m) => {
          seen.push(m);
          if (m === 'bad') throw new Error('handler failed');
        },
        { now: 2000 },
      ),
    ).rejects.toThrow('handler failed');
    expect(seen.sort()).toEqual(['bad', 'ok']);
    expect(await redis.zrange(s, 0, -1)).toEqual(['bad']);
    expect(await store.sweep(s, async () => undefined, { now: 2500 })).toBe(0);
    expect(await store.sweep(s, async () => undefined, { now: 3100 })).toBe(1);
    expect(await redis.zcard(s)).toBe(0);
  });
});
