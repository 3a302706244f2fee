import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** One registry per process with the default process/nodejs metrics and a service label. */
export function createMetricsRegistry(service: string, nodeId: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service, node: nodeId });
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** Metrics shared by every process that talks NATS. */
export function natsMetrics(registry: Registry) {
  return {
    requestDuration: new Histogram({
      name: 'switchboard_nats_request_duration_seconds',
      help: 'NATS request/reply latency seen by the requester',
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

/** Re-exported so services build their own without importing prom-client directly. */
export const metricTypes = { Counter, Gauge, Histogram };
