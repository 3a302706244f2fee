import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { ClientMetrics } from './metrics.js';

export { Redis } from 'ioredis';

/** Redis commands every service uses; their series exist before the first call. */
const COMMON_COMMANDS = ['get', 'set', 'del', 'evalsha', 'eval', 'incr', 'expire', 'hget', 'hset', 'zadd', 'zrangebyscore', 'ping'];

/**
 * A Redis client that retries forever with capped backoff and fails commands fast while down.
 * With `metrics`, every command's latency and failure is recorded by command name (a bounded
 * label: Redis has a fixed command set).
 */
export function createRedis(url: string, logger: Logger, name: string, metrics?: ClientMetrics): Redis {
  const client = new Redis(url, {
    connectionName: name,
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true,
    retryStrategy: (times) => Math.min(times * 200, 2000),
    lazyConnect: false,
  });
  if (metrics) instrumentRedis(client, metrics);
  let warned = false;
  client.on('error', (err) => {
    if (!warned) logger.warn({ err: err.message }, 'redis error');
    warned = true;
  });
  client.on('ready', () => {
    warned = false;
  });
  return client;
}

/** Times every command ioredis sends (pipelines and MULTI included: each queued command). */
export function instrumentRedis(client: Redis, metrics: ClientMetrics): void {
  for (const op of COMMON_COMMANDS) metrics.init(op);
  const send = client.sendCommand.bind(client);
  client.sendCommand = ((command: { name: string; promise: Promise<unknown> }, stream?: unknown) => {
    const started = process.hrtime.bigint();
    const op = String(command.name).toLowerCase();
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    command.promise.then(
      () => metrics.record(op, seconds(), false),
      () => metrics.record(op, seconds(), true),
    );
    return send(command as never, stream as never);
  }) as typeof client.sendCommand;
}
