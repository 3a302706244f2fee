import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap, type OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';
import { CONFIG, LOGGER } from './platform.js';
import { EVERY, uniqueBy, Wiring, type EveryMark, type Wired } from './wiring.js';

type Sweep = () => Promise<unknown>;

/** How often sweeps run when the service's config has no SWEEP_INTERVAL_MS. */
const DEFAULT_SWEEP_INTERVAL_MS = 500;

/** Where the sweeper finds its sweeps: the `@Every` methods of the application (Wiring). */
export interface SweepSource {
  find(m: typeof EVERY): Wired<EveryMark>[];
}

/**
 * Runs the `@Every` sweeps (e.g. floor timeouts, typing expiry, disconnect removals, ring
 * timeouts) on every replica at SWEEP_INTERVAL_MS. The sweeps claim their work atomically in Redis, so running
 * them everywhere is safe and a restarted replica picks up what a dead one left.
 */
@Injectable()
export class Sweeper implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly sweeps = new Map<string, Sweep>();
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    @Inject(CONFIG) private readonly config: { SWEEP_INTERVAL_MS?: number },
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(Wiring) private readonly wiring: SweepSource,
  ) {}

  /** Collects every `@Every` method; two sweeps of one name fail the boot, naming both. */
  onModuleInit() {
    for (const [name, w] of uniqueBy(this.wiring.find(EVERY), (m) => m.name, 'sweep')) this.sweeps.set(name, w.call as Sweep);
  }

  onApplicationBootstrap() {
    this.timer = setInterval(() => {
      this.running ??= this.runAll().finally(() => (this.running = undefined));
    }, this.config.SWEEP_INTERVAL_MS ?? DEFAULT_SWEEP_INTERVAL_MS);
    this.timer.unref();
  }

  async beforeApplicationShutdown() {
    clearInterval(this.timer);
    await this.running;
  }

  /**
   * All sweeps at once, not one after another: each starts with one Redis command (its claim),
   * and issued in the same turn they share one write and one reply read (auto-pipelining)
   * instead of a round trip each, which was most of an idle service's background (ADR 0072).
   * The sweeps are independent (their own sets and locks; replicas run them concurrently anyway).
   */
  private async runAll(): Promise<void> {
    await Promise.all(
      [...this.sweeps].map(async ([name, sweep]) => {
        try {
          await sweep();
        } catch (err) {
          this.logger.warn({ err, sweep: name }, 'sweep failed');
        }
      }),
    );
  }
}
