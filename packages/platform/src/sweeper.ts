import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap, type OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';
import { CONFIG, LOGGER } from './platform.js';
import { EVERY, uniqueBy, Wiring, type EveryMark, type Wired } from './wiring.js';

type Sweep = () => Promise<unknown>;

/** How often sweeps run when the service's config has no SWEEP_INTERVAL_MS. */
const DEFAULT_SWEEP_INTERVAL_MS = 500;
/** A sweep in flight this long is reported (once per run): it is not cancelled, but it is visible. */
const STUCK_AFTER_MS = 30_000;
/** Shutdown waits this long for sweeps in flight; a hung one must not hold the pod until SIGKILL. */
const SHUTDOWN_WAIT_MS = 5_000;

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
  /** Each sweep's run in flight, and when it started: a sweep never overlaps itself. */
  private readonly running = new Map<string, { done: Promise<void>; since: number; reported: boolean }>();

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
    this.timer = setInterval(() => this.tick(), this.config.SWEEP_INTERVAL_MS ?? DEFAULT_SWEEP_INTERVAL_MS);
    this.timer.unref();
  }

  async beforeApplicationShutdown() {
    clearInterval(this.timer);
    if (!this.running.size) return;
    let waited: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<'timeout'>((resolve) => (waited = setTimeout(() => resolve('timeout'), SHUTDOWN_WAIT_MS)));
    const settled = Promise.all([...this.running.values()].map((r) => r.done));
    if ((await Promise.race([settled, gaveUp])) === 'timeout') {
      this.logger.warn({ sweeps: [...this.running.keys()], waitedMs: SHUTDOWN_WAIT_MS }, 'sweeps still running at shutdown: not waiting longer');
    }
    clearTimeout(waited);
  }

  /**
   * Every sweep that is not still running starts now, all in the same turn: each starts with one
   * Redis command (its claim), and issued together they share one write and one reply read
   * (auto-pipelining) instead of a round trip each, which was most of an idle service's background
   * (ADR 0072). Each sweep is tracked on its own, so one that hangs (a lost reply, a stuck lock)
   * stops only itself and is reported, not every other sweep of the replica.
   */
  private tick(): void {
    const now = Date.now();
    for (const [name, sweep] of this.sweeps) {
      const run = this.running.get(name);
      if (run) {
        if (!run.reported && now - run.since >= STUCK_AFTER_MS) {
          run.reported = true;
          this.logger.warn({ sweep: name, runningMs: now - run.since }, 'sweep still running: its next runs wait for it');
        }
        continue;
      }
      // The executor also catches a sweep that throws before returning its promise.
      const done = new Promise<unknown>((resolve) => resolve(sweep())).then(
        () => undefined,
        (err: unknown) => void this.logger.warn({ err, sweep: name }, 'sweep failed'),
      );
      this.running.set(name, { done: done.finally(() => this.running.delete(name)), since: now, reported: false });
    }
  }
}
