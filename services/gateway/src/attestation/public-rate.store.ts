import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, Redis } from '@switchboard/platform';
import { rateLimited } from '@switchboard/protocol';
import type { GatewayConfig } from '../config.js';

const WINDOW_MS = 60_000;

/**
 * Per-address limits of the public attestation routes, shared by all gateway replicas: a fixed
 * one-minute window per route and client address in Redis (INCR + PEXPIRE).
 */
@Injectable()
export class PublicRateStore {
  constructor(
    private readonly redis: Redis,
    @Inject(CONFIG) private readonly config: GatewayConfig,
  ) {}

  /** Counts one request; over ATTEST_RATE_PER_MIN → `rate_limited` with the time left in the window. */
  async hit(route: string, address: string): Promise<void> {
    const now = Date.now();
    const window = Math.floor(now / WINDOW_MS);
    const key = `sb:gw:attest-rate:${route}:${address}:${window}`;
    const [[, n]] = (await this.redis.multi().incr(key).pexpire(key, WINDOW_MS).exec()) as [[unknown, number]];
    if (n > this.config.ATTEST_RATE_PER_MIN) throw rateLimited(`at most ${this.config.ATTEST_RATE_PER_MIN} requests per minute`, (window + 1) * WINDOW_MS - now);
  }
}
