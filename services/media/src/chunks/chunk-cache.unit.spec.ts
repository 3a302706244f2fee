import { describe, expect, it } from 'vitest';
import { createChunkCache } from './chunk-cache.store.js';

const bytes = (n: number, fill = 1) => Buffer.alloc(n, fill);

describe('chunk cache (LRU, entry and byte caps, TTL)', () => {
  it('evicts the least recently read chunk when the entry cap is reached', () => {
    const cache = createChunkCache({ maxEntries: 2, maxBytes: 1 << 20, ttlMs: 60_000 });
    cache.set('a', bytes(10));
    cache.set('b', bytes(10));
    expect(cache.get('a')).toBeDefined(); // a is now more recent than b
    cache.set('c', bytes(10));
    expect([...cache.keys()].sort()).toEqual(['a', 'c']);
  });

  it('evicts by bytes (data and key) before the entry cap, and refuses an entry larger than the cap', () => {
    const cache = createChunkCache({ maxEntries: 100, maxBytes: 3000, ttlMs: 60_000 });
    for (const id of ['a', 'b', 'c']) cache.set(id, bytes(999));
    expect(cache.calculatedSize).toBe(3000);
    cache.set('d', bytes(999));
    expect([...cache.keys()].sort()).toEqual(['b', 'c', 'd']);
    cache.set('huge', bytes(5000));
    expect(cache.has('huge')).toBe(false);
    expect(cache.calculatedSize).toBeLessThanOrEqual(3000);
  });

  it('drops a chunk when its TTL has passed, however often it is read', () => {
    let now = 1_000;
    const cache = createChunkCache({ maxEntries: 10, maxBytes: 1 << 20, ttlMs: 30 * 60_000 }, { now: () => now });
    cache.set('a', bytes(10));
    now += 29 * 60_000;
    expect(cache.get('a')).toBeDefined();
    now += 2 * 60_000;
    expect(cache.get('a')).toBeUndefined();
    expect(cache.size).toBe(0);
  });
});
