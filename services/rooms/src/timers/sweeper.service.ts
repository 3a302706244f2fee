import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { CONFIG, LOGGER, type Logger } from '@switchboard/platform';
import type { RoomsConfig } from '../config.js';

type Sweep = () => Promise<unknown>;

/**
 * Runs the registered sweeps (floor timeouts, typing expiry, disconnect removals) on every
 * replica at SWEEP_INTERVAL_MS. The sweeps claim their work atomically in Redis, so running
 * them everywhere is safe and a restarted replica picks up what a dead one left.
 */
@Injectable()
export class Sweeper implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly sweeps = new Map<string, Sweep>();
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    @Inject(CONFIG) private readonly config: RoomsConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  register(name: string, sweep: Sweep): void {
    this.sweeps.set(name, sweep);
  }

  onApplicationBootstrap() {
    this.timer = setInterval(() => {
      this.running ??= this.runAll().finally(() => (this.running = undefined));
    }, this.config.SWEEP_INTERVAL_MS);
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
