import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { clientMetrics, createMetricsRegistry, DROPPED_DEFAULT_METRICS, EVENT_LOOP_MONITOR_RESOLUTION_MS, natsMetrics, readinessMetrics } from './metrics.js';

/** `promtool check metrics` (Debian package prometheus, installed by `npm run setup`). */
function promtoolCheck(text: string): { status: number | null; out: string } {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (r.error) throw new Error(`promtool is missing (npm run setup installs the Debian package prometheus): ${r.error.message}`);
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('process metrics (issue 15)', () => {
  it('pass promtool check metrics: no gauge named _total, prom-client defaults included', async () => {
    const registry = createMetricsRegistry('svc', 'n1');
    natsMetrics(registry);
    clientMetrics(registry, 'redis').init('get');
    const text = await registry.metrics();
    expect(text).toMatch(/^process_cpu_user_seconds_total\{service="svc",node="n1"\}/m);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes/m);
    for (const name of DROPPED_DEFAULT_METRICS) expect(text).not.toContain(`${name}{`);
    expect(promtoolCheck(text)).toEqual({ status: 0, out: '' });
  });

  it('promtool does fail on a _total gauge (the check can fail)', () => {
    const r = promtoolCheck('# HELP x_total a gauge\n# TYPE x_total gauge\nx_total 1\n');
    expect(r.status).not.toBe(0);
    expect(r.out).toMatch(/non-counter metrics should not have "_total" suffix/);
  });

  it('still see an event-loop stall longer than the monitor resolution, as lateness (ADR 0072)', async () => {
    const registry = createMetricsRegistry('svc', 'n1');
    const gauge = async (name: string) => Number(new RegExp(`^${name}\\{[^}]*\\} ([\\d.e+-]+)`, 'm').exec(await registry.metrics())?.[1]);
    const turn = () => new Promise((r) => setTimeout(r, 10));
    // The monitor's first wake-up only starts its clock: turn the loop until a scrape has a sample.
    let idleMax = NaN;
    for (let turns = 0; turns < 100 && Number.isNaN(idleMax); turns++) {
      await turn();
      idleMax = await gauge('nodejs_eventloop_lag_max_seconds');
    }
    // Lateness, not the wake-up interval: an idle loop is not a resolution late.
    expect(idleMax * 1000).toBeLessThan(EVENT_LOOP_MONITOR_RESOLUTION_MS);
    // A synchronous stall (what the monitor exists for) in a timer callback; a scrape resets the
    // monitor's clock, so it comes a few wake-ups after the last scrape. Then turns of the loop
    // until a scrape sees it: late by the stall, less at most one resolution.
    const stallMs = 5 * EVENT_LOOP_MONITOR_RESOLUTION_MS;
    await new Promise<void>((r) =>
      setTimeout(() => {
        const until = performance.now() + stallMs;
        while (performance.now() < until);
        r();
      }, 3 * EVENT_LOOP_MONITOR_RESOLUTION_MS),
    );
    let max = 0;
    for (let turns = 0; turns < 100 && max * 1000 < stallMs - EVENT_LOOP_MONITOR_RESOLUTION_MS; turns++) {
      await turn();
      max = Math.max(max, (await gauge('nodejs_eventloop_lag_max_seconds')) || 0);
    }
    expect(max * 1000).toBeGreaterThanOrEqual(stallMs - EVENT_LOOP_MONITOR_RESOLUTION_MS);
  });

  it('report the heap limit and the container memory limit', async () => {
    const text = await createMetricsRegistry('svc', 'n1').metrics();
    const heap = Number(/^switchboard_process_heap_limit_bytes\{[^}]*\} (\d+)/m.exec(text)?.[1]);
    expect(heap).toBeGreaterThan(64 * 1024 * 1024);
    expect(text).toMatch(/^switchboard_process_memory_limit_bytes\{[^}]*\} \d+/m);
  });

  it('time client operations and count their failures by operation', async () => {
    const registry = createMetricsRegistry('svc', 'n1');
    const m = clientMetrics(registry, 'postgres');
    await m.observe('Room.findMany', async () => 1);
    await expect(m.observe('Room.create', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    const text = await registry.metrics();
    expect(text).toMatch(/^switchboard_postgres_operation_duration_seconds_count\{[^}]*operation="Room.findMany"[^}]*\} 1$/m);
    expect(text).toMatch(/^switchboard_postgres_operation_errors_total\{[^}]*operation="Room.create"[^}]*\} 1$/m);
    expect(text).not.toMatch(/^switchboard_postgres_operation_errors_total\{[^}]*operation="Room.findMany"\} [1-9]/m);
  });

  it('show every readiness check at the first scrape, with one report per scrape shared by both gauges', async () => {
    const registry = createMetricsRegistry('svc', 'n1');
    const checks: { ready: boolean; checks: Record<string, boolean> }[] = [
      { ready: true, checks: { nats: true, redis: true } },
      { ready: false, checks: { nats: true, redis: false, draining: false } },
    ];
    let reports = 0;
    readinessMetrics(registry, async () => checks[reports++]);
    const sample = (text: string, name: string, dep?: string) => Number(new RegExp(`^${name}\\{${dep ? `dependency="${dep}",` : ''}[^}]*\\} (\\d+)$`, 'm').exec(text)?.[1]);
    const first = await registry.metrics();
    expect(reports).toBe(1);
    expect([sample(first, 'switchboard_process_ready'), sample(first, 'switchboard_dependency_up', 'nats'), sample(first, 'switchboard_dependency_up', 'redis')]).toEqual([1, 1, 1]);
    const second = await registry.metrics();
    expect(reports).toBe(2);
    expect([sample(second, 'switchboard_process_ready'), sample(second, 'switchboard_dependency_up', 'redis')]).toEqual([0, 0]);
    expect(second).not.toContain('dependency="draining"');
  });

  it('report not ready when the readiness report itself fails', async () => {
    const registry = createMetricsRegistry('svc', 'n1');
    readinessMetrics(registry, async () => Promise.reject(new Error('boom')));
    expect(await registry.metrics()).toMatch(/^switchboard_process_ready\{[^}]*\} 0$/m);
  });
});
