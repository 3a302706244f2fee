import { describe, expect, it, vi } from 'vitest';
import { TurnBatcher, type BatchOutcome } from './turn-batcher.js';

const turn = () => new Promise((r) => setImmediate(r));

/** A batcher over numbers whose sender records each batch; `answer` decides the outcomes. */
function recording(opts: { max?: number; maxWeight?: number; answer?: (items: number[]) => Promise<BatchOutcome<string>[]> } = {}) {
  const batches: number[][] = [];
  const b = new TurnBatcher<number, string>({
    max: opts.max ?? 100,
    maxWeight: opts.maxWeight,
    weight: opts.maxWeight ? (n) => n : undefined,
    send: (items) => {
      batches.push(items);
      return opts.answer ? opts.answer(items) : Promise.resolve(items.map((n) => ({ ok: `r${n}` })));
    },
  });
  return { b, batches };
}

describe('TurnBatcher', () => {
  it("sends one turn's items in one batch, in order, and resolves each with its own result", async () => {
    const { b, batches } = recording();
    await expect(Promise.all([b.add(1), b.add(2), b.add(3)])).resolves.toEqual(['r1', 'r2', 'r3']);
    expect(batches).toEqual([[1, 2, 3]]);
    // A later turn is a new batch.
    await b.add(4);
    expect(batches).toEqual([[1, 2, 3], [4]]);
  });

  it('nothing is sent before the turn ends', async () => {
    const { b, batches } = recording();
    const p = b.add(1);
    await Promise.resolve();
    expect(batches).toEqual([]);
    await turn();
    expect(batches).toEqual([[1]]);
    await p;
  });

  it('splits a turn at max items and at maxWeight, keeping the order; an item heavier than maxWeight goes alone', async () => {
    const byCount = recording({ max: 2 });
    await Promise.all([1, 2, 3, 4, 5].map((n) => byCount.b.add(n)));
    expect(byCount.batches).toEqual([[1, 2], [3, 4], [5]]);
    const byWeight = recording({ maxWeight: 10 });
    await Promise.all([4, 5, 2, 12, 3].map((n) => byWeight.b.add(n)));
    expect(byWeight.batches).toEqual([[4, 5], [2], [12], [3]]);
  });

  it('rejects only the items whose outcome is an error; the others resolve', async () => {
    const boom = new Error('item 2');
    const { b } = recording({ answer: async (items) => items.map((n) => (n === 2 ? { error: boom } : { ok: `r${n}` })) });
    const results = await Promise.allSettled([b.add(1), b.add(2), b.add(3)]);
    expect(results).toEqual([
      { status: 'fulfilled', value: 'r1' },
      { status: 'rejected', reason: boom },
      { status: 'fulfilled', value: 'r3' },
    ]);
  });

  it('a batch that fails as a whole, or answers the wrong number of outcomes, rejects each of its items; other batches are unaffected', async () => {
    const down = new Error('unavailable');
    const { b } = recording({ max: 2, answer: async (items) => (items[0] === 1 ? Promise.reject(down) : items.map((n) => ({ ok: `r${n}` }))) });
    const results = await Promise.allSettled([b.add(1), b.add(2), b.add(3)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'fulfilled']);
    expect((results[0] as PromiseRejectedResult).reason).toBe(down);
    const short = recording({ answer: async () => [{ ok: 'only one' }] });
    await expect(Promise.all([short.b.add(1), short.b.add(2)])).rejects.toThrow('batch answered 1 outcomes for 2 items');
  });

  it('with windowMs, collects for that long after the first item and sends in order, in chunks of at most max', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const sent: number[][] = [];
      const b = new TurnBatcher<number, string>({ windowMs: 50, max: 2, send: async (items) => (sent.push(items), items.map((n) => ({ ok: `r${n}` }))) });
      const first = [0, 1, 2, 3, 4].map((n) => b.add(n));
      await vi.advanceTimersByTimeAsync(49);
      expect(sent).toEqual([]);
      await vi.advanceTimersByTimeAsync(1);
      expect(sent).toEqual([[0, 1], [2, 3], [4]]);
      expect(await Promise.all(first)).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);
      const later = b.add(5);
      await vi.advanceTimersByTimeAsync(50);
      expect(sent.at(-1)).toEqual([5]);
      expect(await later).toBe('r5');
    } finally {
      vi.useRealTimers();
    }
  });
});
