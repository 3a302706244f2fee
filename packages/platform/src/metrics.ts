import { monitorEventLoopDelay } from 'node:perf_hooks';
import { constrainedMemory } from 'node:process';
import { getHeapStatistics } from 'node:v8';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export { Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * prom-client defaults that are gauges named `_total`, which `promtool check metrics` rejects.
 * Not exported (deprecated, docs/operations.md "Renamed metrics"): the same numbers are
 * `sum(nodejs_active_handles)`, `sum(nodejs_active_requests)`, `sum(nodejs_active_resources)`.
 */
export const DROPPED_DEFAULT_METRICS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'] as const;

/** Latency buckets of client calls to Redis, Postgres, JetStream and gRPC peers. */
export const CLIENT_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/**
 * How often the event-loop delay monitor wakes up. prom-client's default monitor wakes every
 * 10 ms: ~3.9 ms of CPU per second in an idle process, most of an idle service's background
 * (ADR 0072). A stall at least this long is always seen (the wake-up due during it is late).
 */
export const EVENT_LOOP_MONITOR_RESOLUTION_MS = 100;

/** prom-client's event-loop gauges, replaced by eventLoopMetrics (same names and meaning, cheaper monitor). */
const PROM_CLIENT_EVENT_LOOP_METRICS = ['nodejs_eventloop_lag_seconds', ...['min', 'max', 'mean', 'stddev', 'p50', 'p90', 'p99'].map((s) => `nodejs_eventloop_lag_${s}_seconds`)];

/** prom-client's own monitor cannot be turned off alone: it wakes this rarely and its gauges are dropped. */
const PROM_CLIENT_MONITOR_PRECISION_MS = 3_600_000;

/** One registry per process with the default process/nodejs metrics and a service label. */
export function createMetricsRegistry(service: string, nodeId: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service, node: nodeId });
  // Defaults are collected into a scratch registry and copied over without the `_total` gauges.
  const defaults = new Registry();
  collectDefaultMetrics({ register: defaults, eventLoopMonitoringPrecision: PROM_CLIENT_MONITOR_PRECISION_MS });
  const dropped: readonly string[] = [...DROPPED_DEFAULT_METRICS, ...PROM_CLIENT_EVENT_LOOP_METRICS];
  for (const { name } of defaults.getMetricsAsArray()) {
    const metric = defaults.getSingleMetric(name);
    if (metric && !dropped.includes(name)) registry.registerMetric(metric);
  }
  eventLoopMetrics(registry);
  memoryMetrics(registry);
  return registry;
}

/**
 * prom-client's `nodejs_eventloop_lag_*` gauges from a monitor that wakes every
 * EVENT_LOOP_MONITOR_RESOLUTION_MS. Node records each wake-up's whole interval, so the resolution
 * is taken off: the gauges say how late the loop was (prom-client's carried its 10 ms in them).
 * Like prom-client's, each scrape reads the samples since the previous one and starts anew.
 */
function eventLoopMetrics(registry: Registry): void {
  const histogram = monitorEventLoopDelay({ resolution: EVENT_LOOP_MONITOR_RESOLUTION_MS });
  histogram.enable();
  const late = (ns: number) => Math.max(0, ns / 1e9 - EVENT_LOOP_MONITOR_RESOLUTION_MS / 1000);
  const gauge = (name: string, help: string, collect?: (this: Gauge) => void) => new Gauge({ name, help, registers: [registry], ...(collect ? { collect } : {}) });
  const stats = {
    min: gauge('nodejs_eventloop_lag_min_seconds', 'The minimum recorded event loop delay.'),
    max: gauge('nodejs_eventloop_lag_max_seconds', 'The maximum recorded event loop delay.'),
    mean: gauge('nodejs_eventloop_lag_mean_seconds', 'The mean of the recorded event loop delays.'),
    stddev: gauge('nodejs_eventloop_lag_stddev_seconds', 'The standard deviation of the recorded event loop delays.'),
    p50: gauge('nodejs_eventloop_lag_p50_seconds', 'The 50th percentile of the recorded event loop delays.'),
    p90: gauge('nodejs_eventloop_lag_p90_seconds', 'The 90th percentile of the recorded event loop delays.'),
    p99: gauge('nodejs_eventloop_lag_p99_seconds', 'The 99th percentile of the recorded event loop delays.'),
  };
  // One gauge's collect sets them all (as prom-client does); the lag itself is a setImmediate round trip.
  gauge('nodejs_eventloop_lag_seconds', 'Lag of event loop in seconds.', function () {
    const start = process.hrtime.bigint();
    setImmediate(() => this.set(Number(process.hrtime.bigint() - start) / 1e9));
    if (histogram.count === 0) return; // no wake-up since the last scrape: keep the last values
    stats.min.set(late(histogram.min));
    stats.max.set(late(histogram.max));
    stats.mean.set(late(histogram.mean));
    stats.stddev.set(histogram.stddev / 1e9);
    stats.p50.set(late(histogram.percentile(50)));
    stats.p90.set(late(histogram.percentile(90)));
    stats.p99.set(late(histogram.percentile(99)));
    histogram.reset();
  });
}

/**
 * The limits memory is judged against: V8's heap limit and the container's memory limit
 * (cgroup, via process.constrainedMemory; 0 when the process is not limited). Alerts divide
 * process_resident_memory_bytes by the latter.
 */
function memoryMetrics(registry: Registry): void {
  new Gauge({
    name: 'switchboard_process_heap_limit_bytes',
    help: 'V8 heap size limit (--max-old-space-size or its default)',
    registers: [registry],
    collect() {
      this.set(getHeapStatistics().heap_size_limit);
    },
  });
  new Gauge({
    name: 'switchboard_process_memory_limit_bytes',
    help: 'Memory limit of the container (cgroup) this process runs in; 0 when unlimited',
    registers: [registry],
    collect() {
      const limit = constrainedMemory?.() ?? 0;
      // cgroup v2 "max" comes back as a huge number: that is no limit.
      this.set(limit > 0 && limit < Number.MAX_SAFE_INTEGER / 2 ? limit : 0);
    },
  });
}

/** Metrics shared by every process that talks NATS. */
export function natsMetrics(registry: Registry) {
  return {
    requestDuration: new Histogram({
      name: 'switchboard_nats_request_duration_seconds',
      help: 'NATS request/reply latency seen by the requester; outcome is ok, the error code of the reply, or timeout, no_responders, max_payload, nats_error when NATS gave no reply',
      labelNames: ['service', 'verb', 'outcome'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    commandsHandled: new Counter({
      name: 'switchboard_commands_handled_total',
      help: 'Commands handled by this service, by verb and outcome (ok or error code)',
      labelNames: ['verb', 'outcome'] as const,
      registers: [registry],
    }),
    commandDuration: new Histogram({
      name: 'switchboard_command_duration_seconds',
      help: 'Time spent handling a command inside the service',
      labelNames: ['verb'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    eventsPublished: new Counter({
      name: 'switchboard_events_published_total',
      help: 'Events published on NATS',
      labelNames: ['type'] as const,
      registers: [registry],
    }),
  };
}

export type NatsMetrics = ReturnType<typeof natsMetrics>;

/**
 * Errors and latency of one client library (Redis, Postgres, JetStream, gRPC) by operation.
 * `observe(op, fn)` times a call and counts its failure; the error is rethrown unchanged.
 */
export function clientMetrics(registry: Registry, system: 'redis' | 'postgres' | 'jetstream') {
  const duration = new Histogram({
    name: `switchboard_${system}_operation_duration_seconds`,
    help: `Latency of ${system} operations by operation`,
    labelNames: ['operation'] as const,
    buckets: CLIENT_BUCKETS,
    registers: [registry],
  });
  const errors = new Counter({
    name: `switchboard_${system}_operation_errors_total`,
    help: `Failed ${system} operations by operation`,
    labelNames: ['operation'] as const,
    registers: [registry],
  });
  return {
    duration,
    errors,
    /** Series exist from the start (dashboards and alerts see 0, not "no data"). */
    init(operation: string) {
      duration.zero({ operation });
      errors.inc({ operation }, 0);
    },
    record(operation: string, seconds: number, failed: boolean) {
      duration.observe({ operation }, seconds);
      if (failed) errors.inc({ operation });
    },
    async observe<T>(operation: string, fn: () => Promise<T>): Promise<T> {
      const started = process.hrtime.bigint();
      let failed = false;
      try {
        return await fn();
      } catch (err) {
        failed = true;
        throw err;
      } finally {
        this.record(operation, Number(process.hrtime.bigint() - started) / 1e9, failed);
      }
    },
  };
}

export type ClientMetrics = ReturnType<typeof clientMetrics>;

/** Re-exported so services build their own without importing prom-client directly. */
export const metricTypes = { Counter, Gauge, Histogram };

/** Routes every process serves itself; anything else is labelled by the service's resolver or `unmatched`. */
const PLATFORM_ROUTES = new Set(['/metrics', '/healthz', '/readyz']);

/**
 * Express middleware: rate, errors and duration of HTTP requests (admin REST on the gateway,
 * health and metrics everywhere). `route` maps a request to its route template (a bounded
 * label: never the raw path, which carries ids).
 */
export function httpMetrics(registry: Registry, route: (method: string, path: string) => string | undefined = () => undefined) {
  const requests = new Counter({ name: 'switchboard_http_requests_total', help: 'HTTP requests by method, route template and status code', labelNames: ['method', 'route', 'code'] as const, registers: [registry] });
  const duration = new Histogram({
    name: 'switchboard_http_request_duration_seconds',
    help: 'HTTP request duration by method and route template',
    labelNames: ['method', 'route'] as const,
    buckets: CLIENT_BUCKETS,
    registers: [registry],
  });
  return (req: { method: string; path: string }, res: { statusCode: number; once(ev: 'finish' | 'close', cb: () => void): unknown }, next: () => void) => {
    const started = process.hrtime.bigint();
    let done = false;
    const record = () => {
      if (done) return;
      done = true;
      const path = req.path;
      const r = PLATFORM_ROUTES.has(path) ? path : (route(req.method, path) ?? 'unmatched');
      requests.inc({ method: req.method, route: r, code: String(res.statusCode) });
      duration.observe({ method: req.method, route: r }, Number(process.hrtime.bigint() - started) / 1e9);
    };
    res.once('finish', record);
    res.once('close', record);
    next();
  };
}

/** gRPC server RED: calls by full method and status code name, and their duration. */
export function grpcServerMetrics(registry: Registry): GrpcCallRecorder {
  const handled = new Counter({ name: 'switchboard_grpc_server_handled_total', help: 'gRPC calls handled by method and status code', labelNames: ['method', 'code'] as const, registers: [registry] });
  const duration = new Histogram({ name: 'switchboard_grpc_server_handling_seconds', help: 'gRPC call duration by method', labelNames: ['method'] as const, buckets: CLIENT_BUCKETS, registers: [registry] });
  return {
    record(method: string, code: string, seconds: number) {
      handled.inc({ method, code });
      duration.observe({ method }, seconds);
    },
  };
}

/** What a gRPC call recorder takes: the full method path (`/pkg.Service/Method`), the status code name and the duration. */
export interface GrpcCallRecorder {
  record(method: string, code: string, seconds: number): void;
}

const grpcClientMetricsByRegistry = new WeakMap<Registry, GrpcCallRecorder>();

/**
 * gRPC client RED, the caller's side of grpcServerMetrics: calls by gRPC service, full method
 * and status code (UNAVAILABLE / DEADLINE_EXCEEDED here while the server saw nothing is a
 * network or discovery problem), and their duration. One set per registry, shared by every
 * channel of the process.
 */
export function grpcClientMetrics(registry: Registry): GrpcCallRecorder {
  const existing = grpcClientMetricsByRegistry.get(registry);
  if (existing) return existing;
  const handled = new Counter({
    name: 'switchboard_grpc_client_handled_total',
    help: 'gRPC calls made by this process, by gRPC service, full method and status code',
    labelNames: ['grpc_service', 'method', 'code'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'switchboard_grpc_client_handling_seconds',
    help: 'Duration of gRPC calls made by this process (until the status arrived), by gRPC service and full method',
    labelNames: ['grpc_service', 'method'] as const,
    buckets: CLIENT_BUCKETS,
    registers: [registry],
  });
  const recorder: GrpcCallRecorder = {
    record(method, code, seconds) {
      // `/switchboard.rooms.v1.RoomsService/GetRoom` → `switchboard.rooms.v1.RoomsService`
      const grpcService = method.split('/')[1] ?? 'unknown';
      handled.inc({ grpc_service: grpcService, method, code });
      duration.observe({ grpc_service: grpcService, method }, seconds);
    },
  };
  grpcClientMetricsByRegistry.set(registry, recorder);
  return recorder;
}

/**
 * One read shared by the gauges of a scrape. prom-client reads every metric of a scrape at once
 * (`get()` on each, then Promise.all) and a gauge without a collect() of its own hands over its
 * values right away: gauges set by another gauge's collect() would show the previous scrape's
 * values (none at the first). So each gauge fed by the read awaits it in its own collect(); the
 * first call of a scrape starts it, the others of that scrape share it.
 */
export function perScrape<T>(read: () => Promise<T>): () => Promise<T> {
  let inflight: Promise<T> | undefined;
  return () =>
    (inflight ??= read().finally(() => {
      inflight = undefined;
    }));
}

/**
 * /readyz as metrics, evaluated at scrape time: `switchboard_process_ready` (0 while a check
 * fails or the process drains) and `switchboard_dependency_up{dependency}` per check (nats,
 * redis, postgres...), so "Postgres is down" shows on every service that needs it.
 */
export function readinessMetrics(registry: Registry, report: () => Promise<{ ready: boolean; checks: Record<string, boolean> }>): void {
  const read = perScrape(() => report().catch(() => ({ ready: false, checks: {} as Record<string, boolean> })));
  new Gauge({
    name: 'switchboard_dependency_up',
    help: 'Readiness check of one dependency: 1 up, 0 down',
    labelNames: ['dependency'] as const,
    registers: [registry],
    async collect() {
      for (const [dependency, ok] of Object.entries((await read()).checks)) if (dependency !== 'draining') this.set({ dependency }, ok ? 1 : 0);
    },
  });
  new Gauge({
    name: 'switchboard_process_ready',
    help: '1 when /readyz answers ready, 0 when a dependency check fails or the process drains',
    registers: [registry],
    async collect() {
      this.set((await read()).ready ? 1 : 0);
    },
  });
}
