// DueStore's contract as one list of cases, run against the real Redis (due.store.spec.ts) and
// the in-memory fake (due.store.unit.spec.ts).
import type { Redis } from 'ioredis';
import { expect, it } from 'vitest';
import { DueStore } from '../due.store.js';

export function dueStoreCases(redis: () => Redis): void {
  let n = 0;
  const set = () => `sb:test:due:${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}:${n++}`;
  const store = () => new DueStore(redis(), { SWEEP_LEASE_MS: 1000 });

  it('keeps a claimed entry until it is completed, and hands it out again after the lease', async () => {
    const s = set();
    const due = store();
    await due.schedule(s, 'a', 1000);
    const [claim] = await due.claimDue(s, { now: 2000 });
    expect(claim).toMatchObject({ member: 'a' });
    // Leased: not due for anyone else within the lease, but still stored.
    expect(await due.claimDue(s, { now: 2500 })).toEqual([]);
    expect(await redis().zscore(s, 'a')).not.toBeNull();
    // The claimer died: after the lease another replica claims it.
    const [again] = await due.claimDue(s, { now: 3100 });
    expect(again?.member).toBe('a');
    // The first claim's lease is over: completing it must not remove the new claimer's entry.
    expect(await due.complete(s, claim!)).toBe(false);
    expect(await due.complete(s, again!)).toBe(true);
    expect(await redis().zcard(s)).toBe(0);
  });

  it('claims at most `limit` due entries, earliest first, and nothing that is not due yet', async () => {
    const s = set();
    const due = store();
    for (let i = 0; i < 5; i++) await due.schedule(s, `m${i}`, 1000 + i);
    await due.schedule(s, 'later', 5000);
    expect((await due.claimDue(s, { now: 2000, limit: 3 })).map((c) => c.member)).toEqual(['m0', 'm1', 'm2']);
    expect((await due.claimDue(s, { now: 2000, limit: 10 })).map((c) => c.member)).toEqual(['m3', 'm4']);
    await due.cancel(s, 'later');
    expect(await due.claimDue(s, { now: 2500 })).toEqual([]); // the five are leased, 'later' is gone
  });

  it('hands each due entry to exactly one of many racing claimers', async () => {
    const s = set();
    const due = store();
    for (let i = 0; i < 50; i++) await due.schedule(s, `m${i}`, 1000);
    const claims = (await Promise.all(Array.from({ length: 10 }, () => due.claimDue(s, { now: 2000, limit: 20 })))).flat();
    expect(claims.map((c) => c.member).sort()).toEqual(Array.from({ length: 50 }, (_, i) => `m${i}`).sort());
  });

  it('does not remove an entry scheduled again while it was being handled', async () => {
    const s = set();
    const due = store();
    await due.schedule(s, 'a', 1000);
    const [claim] = await due.claimDue(s, { now: 2000 });
    await due.schedule(s, 'a', 9000);
    expect(await due.complete(s, claim!)).toBe(false);
    expect(Number(await redis().zscore(s, 'a'))).toBe(9000);
  });

  it('sweep completes what was handled and leaves a failed entry leased for a retry', async () => {
    const s = set();
    const due = store();
    await due.schedule(s, 'ok', 1000);
    await due.schedule(s, 'bad', 1000);
    const seen: string[] = [];
    await expect(
      due.sweep(
        s,
        async (m) => {
          seen.push(m);
          if (m === 'bad') throw new Error('handler failed');
        },
        { now: 2000 },
      ),
    ).rejects.toThrow('handler failed');
    expect(seen.sort()).toEqual(['bad', 'ok']);
    expect(await redis().zrange(s, 0, -1)).toEqual(['bad']);
    expect(await due.sweep(s, async () => undefined, { now: 2500 })).toBe(0);
    expect(await due.sweep(s, async () => undefined, { now: 3100 })).toBe(1);
    expect(await redis().zcard(s)).toBe(0);
  });
}
