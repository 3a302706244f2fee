import { describe, expect, it } from 'vitest';
import { TrustedTargets } from './trusted-targets.js';

describe('TrustedTargets', () => {
  const key = TrustedTargets.key;

  it('holds at most max pairs, dropping the least recently trusted', () => {
    const t = new TrustedTargets(2, 1000);
    t.trust(key('c_a', 'r1'), 0);
    t.trust(key('c_b', 'r1'), 0);
    t.trust(key('c_a', 'r1'), 1); // refreshed: c_b is now the oldest
    t.trust(key('c_c', 'r1'), 2);
    expect(t.size).toBe(2);
    expect(t.has(key('c_b', 'r1'), 3)).toBe(false);
    expect(t.has(key('c_a', 'r1'), 3)).toBe(true);
    expect(t.has(key('c_c', 'r1'), 3)).toBe(true);
    for (let i = 0; i < 100; i++) t.trust(key(`c_${i}`, 'r1'), 4);
    expect(t.size).toBe(2);
  });

  it('forgets a pair once its trust has lapsed', () => {
    const t = new TrustedTargets(4, 1000);
    t.trust(key('c_a', 'r1'), 0);
    expect(t.has(key('c_a', 'r1'), 999)).toBe(true);
    expect(t.has(key('c_a', 'r1'), 1000)).toBe(false);
    expect(t.size).toBe(0);
  });

  it('trusts a target per room (and per pairing, without a room)', () => {
    const t = new TrustedTargets(4, 1000);
    t.trust(key('c_a', 'r1'), 0);
    expect(t.has(key('c_a', 'r2'), 0)).toBe(false);
    expect(t.has(key('c_a', undefined), 0)).toBe(false);
    t.trust(key('c_a', undefined), 0);
    t.trust(key('c_ab', 'r1'), 0);
    t.drop(key('c_a', 'r1'));
    expect(t.has(key('c_a', 'r1'), 0)).toBe(false);
    expect(t.has(key('c_a', undefined), 0)).toBe(true);
    t.trust(key('c_a', 'r2'), 0);
    t.dropTarget('c_a');
    expect(t.has(key('c_a', 'r2'), 0)).toBe(false);
    expect(t.has(key('c_a', undefined), 0)).toBe(false);
    // Another target whose id starts with the same characters is not touched.
    expect(t.has(key('c_ab', 'r1'), 0)).toBe(true);
  });

  it('trusts nothing when the limit or the lifetime is 0 (every candidate waits for its verdict)', () => {
    for (const t of [new TrustedTargets(0, 1000), new TrustedTargets(4, 0)]) {
      t.trust(key('c_a', 'r1'), 0);
      expect(t.has(key('c_a', 'r1'), 0)).toBe(false);
      expect(t.size).toBe(0);
    }
  });
});
