import { describe, expect, it } from 'vitest';
import { TokenBucket } from './token-bucket.js';

describe('TokenBucket', () => {
  it('allows a burst, then refills at the rate', () => {
    let now = 0;
    const b = new TokenBucket(10, 3, () => now);
    expect([b.take(), b.take(), b.take()]).toEqual([0, 0, 0]);
    expect(b.take()).toBe(100); // one token every 100 ms at 10/s
    now = 50;
    expect(b.take()).toBe(50);
    now = 150;
    expect(b.take()).toBe(0);
  });

  it('never holds more than the burst', () => {
    let now = 0;
    const b = new TokenBucket(100, 2, () => now);
    now = 60_000;
    expect([b.take(), b.take()]).toEqual([0, 0]);
    expect(b.take()).toBeGreaterThan(0);
  });
});
