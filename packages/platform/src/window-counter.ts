import { Injectable } from '@nestjs/common';
import { Redis } from 'ioredis';

export interface WindowCount {
  count: number;
  /** Milliseconds until the window ends (a `retryAfterMs`). */
  resetsInMs: number;
}

/**
 * Fixed-window counters in Redis (INCR + PEXPIRE), shared by every replica: quotas and abuse
 * limits such as rooms created per hour or failed pairing-code lookups.
 */
@Injectable()
export class WindowCounter {
  constructor(private readonly redis: Redis) {}

  /** Counts one more for `key` in the current window of `windowMs`; returns the new count. */
  async hit(key: string, windowMs: number, now = Date.now()): Promise<WindowCount> {
    const { redisKey, resetsInMs } = this.window(key, windowMs, now);
    const [[, count]] = (await this.redis.multi().incr(redisKey).pexpire(redisKey, windowMs).exec()) as [[unknown, number], unknown];
    return { count, resetsInMs };
  }

  /** The count of `key` in the current window, without counting. */
  async peek(key: string, windowMs: number, now = Date.now()): Promise<WindowCount> {
    const { redisKey, resetsInMs } = this.window(key, windowMs, now);
    return { count: Number((await this.redis.get(redisKey)) ?? 0), resetsInMs };
  }

  private window(key: string, windowMs: number, now: number) {
    const w = Math.floor(now / windowMs);
    return { redisKey: `sb:window:${key}:${w}`, resetsInMs: (w + 1) * windowMs - now };
  }
}
