import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, WindowCounter } from '@switchboard/platform';
import { rateLimited } from '@switchboard/protocol';
import type { GatewayConfig } from '../config.js';

const WINDOW_MS = 60_000;

/**
 * Per-address limits of the public attestation routes, shared by all gateway replicas: a fixed
 * one-minute window per route and client address (`WindowCounter`, Redis).
 */
@Injectable()
export class PublicRateStore {
  constructor(
    private readonly windows: WindowCounter,
    @Inject(CONFIG) private readonly config: GatewayConfig,
  ) {}

  /** Counts one request; over ATTEST_RATE_PER_MIN → `rate_limited` with the time left in the window. */
  async hit(route: string, address: string): Promise<void> {
    const { count, resetsInMs } = await this.windows.hit(`gw:attest-rate:${route}:${address}`, WINDOW_MS);
    if (count > this.config.ATTEST_RATE_PER_MIN) throw rateLimited(`at most ${this.config.ATTEST_RATE_PER_MIN} requests per minute`, resetsInMs);
  }
}
