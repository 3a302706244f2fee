import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { clientMetrics, createMetricsRegistry, DROPPED_DEFAULT_METRICS, natsMetrics } from './metrics.js';

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
});
