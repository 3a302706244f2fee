import { Redis } from 'ioredis';
import type { Logger } from 'pino';

export { Redis } from 'ioredis';

/**
 * A Redis client that retries forever with capped backoff and fails commands fast while down.
 * Auto-pipelining sends the commands issued in one event-loop tick as one write: profiles of
 * the benchmark's fan-out showed a third of the rooms service's CPU in one socket write per
 * command (docs/benchmarks.md, ADR 0022). Order per connection is unchanged.
 */
export function createRedis(url: string, logger: Logger, name: string): Redis {
  const client = new Redis(url, {
    connectionName: name,
    enableAutoPipelining: true,
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true,
    retryStrategy: (times) => Math.min(times * 200, 2000),
    lazyConnect: false,
  });
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
