import { describe, expect, it } from 'vitest';
import { nextSweepDelay } from './liveness.service.js';

describe('nextSweepDelay (presence expiry sweep, ADR 0072)', () => {
  const now = 1_000_000;
  const ttl = 30_000;
  const gap = 1_000;

  it('sleeps a whole TTL when no connection is held: nothing written later can lapse sooner', () => {
    expect(nextSweepDelay(undefined, now, ttl, gap)).toBe(ttl);
  });

  it('wakes for the earliest deadline present', () => {
    expect(nextSweepDelay(now + 12_345, now, ttl, gap)).toBe(12_345);
  });

  it('never sleeps past now + TTL, even for a later deadline (one written by a replica with a longer TTL)', () => {
    expect(nextSweepDelay(now + 5 * ttl, now, ttl, gap)).toBe(ttl);
  });

  it('never sweeps more often than PRESENCE_SWEEP_MS: a lapsed or imminent head waits the minimum gap', () => {
    expect(nextSweepDelay(now - 10_000, now, ttl, gap)).toBe(gap);
    expect(nextSweepDelay(now + gap - 1, now, ttl, gap)).toBe(gap);
    expect(nextSweepDelay(now + gap, now, ttl, gap)).toBe(gap);
    expect(nextSweepDelay(now + gap + 1, now, ttl, gap)).toBe(gap + 1);
  });

  it('keeps the minimum gap when it is longer than the TTL (a misconfiguration, still never a busy loop)', () => {
    expect(nextSweepDelay(undefined, now, 500, gap)).toBe(gap);
  });
});
