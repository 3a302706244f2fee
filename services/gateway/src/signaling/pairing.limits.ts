import { Injectable } from '@nestjs/common';
import { Redis } from '@switchboard/platform';

/**
 * Fixed-window counters in Redis (shared by every gateway replica) for pairing abuse:
 * failed code lookups per user and pair requests per target connection.
 */
@Injectable()
export class PairingLimits {
  constructor(private readonly redis: Redis) {}

  /** The current count of `key` in its window, without counting. */
  async peek(key: string, windowMs: number, now = Date.now()): Promise<{ count: number; resetsInMs: number }> {
    const w = Math.floor(now / windowMs);
    return { count: Number((await this.redis.get(`sb:gw:limit:${key}:${w}`)) ?? 0), resetsInMs: (w + 1) * windowMs - now };
  }

  /** Counts one more in the current window; returns the new count. */
  async hit(key: string, windowMs: number, now = Date.now()): Promise<{ count: number; resetsInMs: number }> {
    const w = Math.floor(now / windowMs);
    const k = `sb:gw:limit:${key}:${w}`;
    const [[, count]] = (await this.redis.multi().incr(k).pexpire(k, windowMs).exec()) as [[unknown, number], unknown];
    return { count, resetsInMs: (w + 1) * windowMs - now };
  }
}
