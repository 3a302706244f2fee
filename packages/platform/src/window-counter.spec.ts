import { createRedis } from './redis.js';
import { afterAll, describe, expect, it } from 'vitest';
import { WindowCounter } from './window-counter.js';
import { slot } from '@switchboard/testing/slot';

/** Real Redis (the test run's private one); keys are unique per test. */
describe('WindowCounter', () => {
  const redis = createRedis(slot().redisUrl);
  const counter = new WindowCounter(redis);
  afterAll(() => redis.quit());
  const key = () => `test:${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

  it('counts per fixed window, shared by every client of the same Redis, and says when it resets', async () => {
    const k = key();
    const other = new WindowCounter(redis);
    expect(await counter.hit(k, 60_000, 120_000)).toEqual({ count: 1, resetsInMs: 60_000 });
    expect(await other.hit(k, 60_000, 150_000)).toEqual({ count: 2, resetsInMs: 30_000 });
    expect(await counter.peek(k, 60_000, 170_000)).toEqual({ count: 2, resetsInMs: 10_000 });
    // the next window starts from zero
    expect(await counter.peek(k, 60_000, 180_000)).toEqual({ count: 0, resetsInMs: 60_000 });
    expect((await counter.hit(k, 60_000, 180_000)).count).toBe(1);
  });
});
