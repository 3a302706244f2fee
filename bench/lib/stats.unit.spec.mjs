// @ts-check
import { describe, expect, it } from 'vitest';
import { Histogram } from './stats.mjs';

describe('bench Histogram (HdrHistogram)', () => {
  it('answers quantiles within 1 % of the exact value', () => {
    const h = new Histogram();
    const values = Array.from({ length: 20_000 }, (_, i) => 0.05 + ((i * 7919) % 20_000) / 10);
    for (const v of values) h.record(v);
    const sorted = [...values].sort((a, b) => a - b);
    for (const q of [0.5, 0.95, 0.99]) {
      const exact = sorted[Math.ceil(q * sorted.length) - 1];
      expect(Math.abs(h.quantile(q) - exact) / exact).toBeLessThan(0.01);
    }
    expect(h.summary()).toMatchObject({ n: 20_000, max: expect.closeTo(sorted.at(-1) ?? 0, 0) });
  });

  it('merges histograms sent between processes as JSON, in a bounded size', () => {
    const a = new Histogram();
    const b = new Histogram();
    const both = new Histogram();
    for (let i = 0; i < 100_000; i++) {
      const v = (i % 997) / 10 + 0.1;
      (i % 2 ? a : b).record(v);
      both.record(v);
    }
    const wire = JSON.stringify(b);
    expect(wire.length).toBeLessThan(16_384);
    a.merge(JSON.parse(wire));
    const { mean, ...rest } = a.summary();
    const { mean: bothMean, ...bothRest } = both.summary();
    expect(rest).toEqual(bothRest);
    expect(mean).toBeCloseTo(bothMean, 9); // float sums in a different order
  });

  it('reports NaN without samples and clamps absurd values instead of throwing', () => {
    expect(new Histogram().summary()).toEqual({ n: 0, p50: NaN, p95: NaN, p99: NaN, max: NaN, mean: NaN });
    const h = new Histogram();
    h.record(-5);
    h.record(1e12);
    expect(h.n).toBe(2);
  });
});
