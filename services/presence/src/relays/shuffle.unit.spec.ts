import { describe, expect, it } from 'vitest';
import { shuffle } from './shuffle.js';

/** Chi-square critical values for a false-failure probability of about 1e-6. */
const CHI2_1E6: Record<number, number> = { 3: 30.66, 5: 35.89, 23: 64.0 };

function chiSquare(counts: number[], expected: number): number {
  return counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
}

describe('shuffle (Fisher–Yates)', () => {
  it('keeps every element exactly once', () => {
    const items = Array.from({ length: 50 }, (_, i) => i);
    expect([...shuffle([...items])].sort((a, b) => a - b)).toEqual(items);
    expect(shuffle([])).toEqual([]);
    expect(shuffle([7])).toEqual([7]);
  });

  it('makes all 24 permutations of 4 items about equally likely', () => {
    const runs = 24_000;
    const counts = new Map<string, number>();
    for (let i = 0; i < runs; i++) {
      const key = shuffle([0, 1, 2, 3]).join('');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(24);
    expect(chiSquare([...counts.values()], runs / 24)).toBeLessThan(CHI2_1E6[23]);
  });

  it('uses the injected random source (deterministic under a fixed sequence)', () => {
    // random() = 0 always picks index 0: [a,b,c] → swap(2,0) → [c,b,a] → swap(1,0) → [b,c,a]
    expect(shuffle(['a', 'b', 'c'], () => 0)).toEqual(['b', 'c', 'a']);
  });
});

export { chiSquare, CHI2_1E6 };
