import type { Logger } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Sweeper } from './sweeper.js';
import type { EveryMark, Wired } from './wiring.js';

type Sweeps = [name: string, sweep: () => Promise<unknown>][];
/** A sweeper whose `@Every` methods are the given ones (Wiring's discovery is proven in wiring.unit.spec.ts). */
const sweeperWith = (config: { SWEEP_INTERVAL_MS?: number }, log: Logger, sweeps: Sweeps) => {
  const found: Wired<EveryMark>[] = sweeps.map(([name, call], i) => ({ meta: { name }, where: `Sweeps${i}.${name}`, call }));
  const sweeper = new Sweeper(config, log, { find: () => found });
  sweeper.onModuleInit();
  return sweeper;
};

const logger = () => {
  const warnings: unknown[] = [];
  return { warnings, logger: { warn: (obj: unknown) => void warnings.push(obj) } as unknown as Logger };
};

describe('Sweeper (fake timers)', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('runs every registered sweep once per interval, only after bootstrap, and stops at shutdown', async () => {
    const { logger: log } = logger();
    const runs: string[] = [];
    const sweeper = sweeperWith({ SWEEP_INTERVAL_MS: 100 }, log, [
      ['a', async () => void runs.push('a')],
      ['b', async () => void runs.push('b')],
    ]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(runs).toEqual([]);
    sweeper.onApplicationBootstrap();
    await vi.advanceTimersByTimeAsync(99);
    expect(runs).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(runs).toEqual(['a', 'b']);
    await vi.advanceTimersByTimeAsync(200);
    expect(runs).toEqual(['a', 'b', 'a', 'b', 'a', 'b']);
    await sweeper.beforeApplicationShutdown();
    await vi.advanceTimersByTimeAsync(1000);
    expect(runs).toHaveLength(6);
  });

  it('never overlaps a slow round with the next tick, and shutdown waits for the round in flight', async () => {
    const { logger: log } = logger();
    let active = 0;
    let maxActive = 0;
    let rounds = 0;
    const sweeper = sweeperWith({ SWEEP_INTERVAL_MS: 100 }, log, [
      [
        'slow',
        async () => {
          active++;
          maxActive = Math.max(maxActive, active);
          await new Promise((r) => setTimeout(r, 350));
          active--;
          rounds++;
        },
      ],
    ]);
    sweeper.onApplicationBootstrap();
    await vi.advanceTimersByTimeAsync(1000);
    expect(maxActive).toBe(1);
    expect(rounds).toBeGreaterThanOrEqual(2);
    expect(rounds).toBeLessThanOrEqual(3);
    expect(active).toBe(1); // a round is in flight
    let stopped = false;
    const stopping = sweeper.beforeApplicationShutdown().then(() => (stopped = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(stopped).toBe(false);
    await vi.advanceTimersByTimeAsync(400);
    await stopping;
    expect(active).toBe(0);
  });

  it('logs a failing sweep and still runs the others, every round', async () => {
    const { logger: log, warnings } = logger();
    let after = 0;
    const sweeper = sweeperWith({ SWEEP_INTERVAL_MS: 50 }, log, [
      [
        'broken',
        async () => {
          throw new Error('redis down');
        },
      ],
      ['after', async () => void after++],
    ]);
    sweeper.onApplicationBootstrap();
    await vi.advanceTimersByTimeAsync(100);
    expect(after).toBe(2);
    expect(warnings).toEqual([expect.objectContaining({ sweep: 'broken' }), expect.objectContaining({ sweep: 'broken' })]);
    await sweeper.beforeApplicationShutdown();
  });

  it('starts every due sweep in the same turn (their first commands share a write); a slow one delays only itself', async () => {
    const { logger: log } = logger();
    const started: string[] = [];
    const release: (() => void)[] = [];
    const held = (name: string) => () => {
      started.push(name);
      return new Promise<void>((r) => release.push(r));
    };
    const sweeper = sweeperWith({ SWEEP_INTERVAL_MS: 100 }, log, [
      ['a', held('a')],
      ['b', held('b')],
      ['c', held('c')],
    ]);
    sweeper.onApplicationBootstrap();
    await vi.advanceTimersByTimeAsync(100);
    expect(started).toEqual(['a', 'b', 'c']);
    // a and b done, c still running: the next tick starts a and b again, not c.
    release[0]!();
    release[1]!();
    await vi.advanceTimersByTimeAsync(100);
    expect(started).toEqual(['a', 'b', 'c', 'a', 'b']);
    release[2]!();
    release[3]!();
    release[4]!();
    await vi.advanceTimersByTimeAsync(100);
    expect(started).toEqual(['a', 'b', 'c', 'a', 'b', 'a', 'b', 'c']);
    for (const r of release.slice(5)) r();
    await sweeper.beforeApplicationShutdown();
  });

  it('a sweep that never settles stops only itself, is reported once, and does not hold shutdown', async () => {
    const { logger: log, warnings } = logger();
    let healthy = 0;
    let throwsEarly = 0;
    const sweeper = sweeperWith({ SWEEP_INTERVAL_MS: 1000 }, log, [
      ['hung', () => new Promise<void>(() => undefined)],
      ['healthy', async () => void healthy++],
      [
        'throws-before-its-promise',
        () => {
          throwsEarly++;
          throw new Error('sync');
        },
      ],
    ]);
    sweeper.onApplicationBootstrap();
    await vi.advanceTimersByTimeAsync(40_000);
    expect(healthy).toBe(40);
    expect(throwsEarly).toBe(40);
    const stuck = warnings.filter((w) => (w as { sweep?: string }).sweep === 'hung');
    expect(stuck).toEqual([expect.objectContaining({ sweep: 'hung', runningMs: 30_000 })]);
    let stopped = false;
    const stopping = sweeper.beforeApplicationShutdown().then(() => (stopped = true));
    await vi.advanceTimersByTimeAsync(4_999);
    expect(stopped).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await stopping;
    expect(warnings.at(-1)).toEqual(expect.objectContaining({ sweeps: ['hung'], waitedMs: 5_000 }));
  });

  it('refuses a second sweep with the same name at boot, naming both methods', () => {
    const twice: Sweeps = [
      ['x', async () => undefined],
      ['x', async () => undefined],
    ];
    expect(() => sweeperWith({}, logger().logger, twice)).toThrow('sweep x is registered twice: Sweeps0.x and Sweeps1.x');
  });
});
