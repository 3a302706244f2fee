import { hostname } from 'node:os';
import { z } from 'zod';

/** Settings every process reads. Services extend this with their own keys. */
export const baseConfigSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  NODE_ID: z.string().regex(/^[A-Za-z0-9_-]+$/).default(`${hostname().replace(/[^A-Za-z0-9_-]/g, '-')}-${process.pid}`),
  NATS_URL: z.string().default('nats://127.0.0.1:4222'),
  /** NATS user (default: the service's name, see nats-permissions.ts) and its password; no password → no auth. */
  NATS_USER: z.string().regex(/^[A-Za-z0-9_-]+$/).optional(),
  NATS_PASSWORD: z.string().min(1).optional(),
  /**
   * `turn`: what a process queues for NATS in one event-loop turn leaves in one socket write;
   * `microtask`: nats.js's own flush after every microtask checkpoint (ADR 0082).
   */
  NATS_WRITES: z.enum(['turn', 'microtask']).default('turn'),
  /** `redis://…` (standalone) or `redis+cluster://host:port,host:port` (Redis Cluster seed nodes; ioredis Cluster). */
  REDIS_URL: z.string().default('redis://127.0.0.1:6379'),
  /**
   * Room event streams in JetStream (1..16): rooms creates them, gateways read a room's resume
   * history from the one its id hashes to, so every process must agree (docs/decisions/0032).
   */
  ROOM_EVENTS_STREAMS: z.coerce.number().int().min(1).max(16).default(1),
  /** Replicas of each room event stream (1 on a single server, 3 on a 3-node NATS cluster). */
  ROOM_EVENTS_REPLICAS: z.coerce.number().int().min(1).max(5).default(1),
  HTTP_HOST: z.string().default('0.0.0.0'),
  HTTP_PORT: z.coerce.number().int().min(0).max(65535),
  /**
   * Listen backlog of the HTTP server (the kernel caps it at net.core.somaxconn); 511 is Node's
   * own. When a replica dies and its clients all reconnect to one gateway, it overflows: the
   * kernel drops handshakes and their TCP retries them after 1 s, 3 s, 7 s — which also paces
   * the storm; a larger backlog hands every upgrade to the process at once (ADR 0096).
   */
  HTTP_BACKLOG: z.coerce.number().int().min(1).max(65535).default(511),
  REQUEST_TIMEOUT_MS: z.coerce.number().int().min(50).max(60000).default(3000),
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(120000).default(10000),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().optional(),
  /**
   * Shared secret of the gRPC call credentials (`authorization: Bearer <secret>`): every gRPC
   * server refuses calls without it and every gRPC client sends it. No default, on purpose.
   */
  GRPC_AUTH_SECRET: z.string().min(16, 'GRPC_AUTH_SECRET must be at least 16 characters'),
});

export const grpcServiceConfigSchema = baseConfigSchema.extend({
  /** Interface the gRPC server binds (npm start: 127.0.0.1; in a pod: 0.0.0.0 behind the NetworkPolicy). */
  GRPC_HOST: z.string().default('0.0.0.0'),
  GRPC_PORT: z.coerce.number().int().min(0).max(65535),
});

export type BaseConfig = z.infer<typeof baseConfigSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Validates the environment against a schema and fails fast with every problem listed,
 * so a misconfigured pod dies at start-up with a readable message instead of later.
 */
export function loadConfig<S extends z.ZodType>(
  schema: S,
  env: Record<string, string | undefined> = process.env,
  defaults: Record<string, string> = {},
): z.output<S> {
  const merged: Record<string, string | undefined> = { ...defaults };
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== '') merged[k] = v;
  const parsed = schema.safeParse(merged);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

/** Comma-separated list, empty entries dropped. */
export const csv = z
  .string()
  .default('')
  .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean));
