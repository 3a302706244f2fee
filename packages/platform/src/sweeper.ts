import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { Logger } from 'pino';
import { CONFIG, LOGGER } from './platform.js';

type Sweep = () => Promise<unknown>;

/** How often sweeps run when the service's config has no SWEEP_INTERVAL_MS. */
const DEFAULT_SWEEP_INTERVAL_MS = 500;

/**
 * Runs the registered sweeps (e.g. floor timeouts, typing expiry, disconnect removals, ring
 * timeouts) on every replica at SWEEP_INTERVAL_MS. The sweeps claim their work atomically in Redis, so running
 * them everywhere is safe and a restarted replica picks up what a dead one left.
 */
@Injectable()
export class Sweeper implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly sweeps = new Map<string, Sweep>();
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    @Inject(CONFIG) private readonly config: { SWEEP_INTERVAL_MS?: number },
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  register(name: string, sweep: Sweep): void {
    if (this.sweeps.has(name)) throw new Error(`a sweep named ${name} is already registered`);
    this.sweeps.set(name, sweep);
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

  private async runAll(): Promise<void> {
    for (const [name, sweep] of this.sweeps) {
      try {
        await sweep();
      } catch (err) {
        this.logger.warn({ err, sweep: name }, 'sweep failed');
      }
    }
  }
}
