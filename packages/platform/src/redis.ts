import { createHash } from 'node:crypto';
import { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { ClientMetrics } from './metrics.js';

export { Redis } from 'ioredis';

/** Redis commands every service uses; their series exist before the first call. */
const COMMON_COMMANDS = ['get', 'set', 'del', 'evalsha', 'eval', 'incr', 'expire', 'hget', 'hset', 'zadd', 'zrangebyscore', 'ping'];

/** URL scheme of a Redis Cluster: `redis+cluster://host:port,host:port` (any subset of the nodes). */
export const REDIS_CLUSTER_SCHEME = 'redis+cluster://';

/** The seed nodes of a `redis+cluster://` URL, or undefined for a standalone `redis://` URL. */
export function redisClusterNodes(url: string): { host: string; port: number }[] | undefined {
  if (!url.startsWith(REDIS_CLUSTER_SCHEME)) return undefined;
  const nodes = url
    .slice(REDIS_CLUSTER_SCHEME.length)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((hostPort) => {
      const m = /^(.+):(\d+)$/.exec(hostPort);
      if (!m) throw new Error(`invalid Redis Cluster node "${hostPort}" (host:port expected)`);
      return { host: m[1], port: Number(m[2]) };
    });
  if (!nodes.length) throw new Error('redis+cluster:// needs at least one host:port');
  return nodes;
}

const retryStrategy = (times: number) => Math.min(times * 200, 2000);

/**
 * The one Redis client factory: a standalone client for `redis://…`, an ioredis `Cluster` for
 * `redis+cluster://…`. Both retry forever with capped backoff and fail commands fast while down.
 *
 * The Cluster is handed out typed as `Redis` (and injected under the `Redis` token) on purpose:
 * stores use only commands both have, every multi-key script and MULTI keeps its keys in one
 * slot with a hash tag (docs/decisions/0031), and the store specs run on both (SB_TEST_CLUSTERED).
 * With `metrics`, every command's latency and failure is recorded by command name (a bounded
 * label: Redis has a fixed command set). Auto-pipelining sends the commands issued in one
 * event-loop tick as one write: profiles of the benchmark's fan-out showed a third of the rooms
 * service's CPU in one socket write per command (docs/benchmarks.md, ADR 0022). Order per
 * connection is unchanged.
 */
export function createRedis(url: string, logger?: Logger, name?: string, metrics?: ClientMetrics): Redis {
  const seeds = redisClusterNodes(url);
  const client = seeds
    ? (new Cluster(seeds, {
        redisOptions: { connectionName: name, maxRetriesPerRequest: 2 },
        enableAutoPipelining: true,
        clusterRetryStrategy: retryStrategy,
        enableOfflineQueue: true,
        // A failover moves slots: ask again (MOVED/ASK/CLUSTERDOWN) for up to ~2 s, then fail typed.
        retryDelayOnFailover: 200,
        retryDelayOnClusterDown: 200,
        retryDelayOnTryAgain: 200,
        maxRedirections: 16,
        slotsRefreshTimeout: 2000,
        // Scripts run through EVALSHA per node: ioredis loads them where they are missing.
        scaleReads: 'master',
      }) as unknown as Redis)
    : new Redis(url, { connectionName: name, enableAutoPipelining: true, maxRetriesPerRequest: 2, enableOfflineQueue: true, retryStrategy, lazyConnect: false });
  if (metrics) instrumentRedis(client, metrics);
  evalBySha(client);
  let warned = false;
  client.on('error', (err: Error) => {
    if (!warned) logger?.warn({ err: err.message }, 'redis error');
    warned = true;
  });
  client.on('ready', () => {
    warned = false;
  });
  return client;
}

/** The master nodes behind a client: the client itself when standalone (for FLUSHALL, SCAN…). */
export function redisMasters(client: Redis): Redis[] {
  return (client as unknown) instanceof Cluster ? (client as unknown as Cluster).nodes('master') : [client];
}

/**
 * Makes `eval(script, …)` run the script by its SHA1 (EVALSHA), sending the body (EVAL, which
 * also loads it) only when Redis answers NOSCRIPT: after a restart, a failover, or on a cluster
 * node that has not seen it. EVAL sends and hashes the whole body on every call; in the join
 * storm's profile the presence service spent a third of its CPU writing script text to its
 * socket (ADR 0058). Every store keeps calling `eval` with its script constant. A body's SHA is
 * computed once (scripts are module constants, a bounded set).
 */
export function evalBySha(client: Redis): void {
  const shas = new Map<string, string>();
  const evalBody = client.eval.bind(client) as (...args: unknown[]) => Promise<unknown>;
  const evalSha = client.evalsha.bind(client) as (...args: unknown[]) => Promise<unknown>;
  client.eval = (async (script: string, ...rest: unknown[]) => {
    let sha = shas.get(script);
    if (!sha) shas.set(script, (sha = createHash('sha1').update(script).digest('hex')));
    try {
      return await evalSha(sha, ...rest);
    } catch (err) {
      if (!String((err as Error)?.message).startsWith('NOSCRIPT')) throw err;
      return evalBody(script, ...rest);
    }
  }) as typeof client.eval;
}

/** Times every command ioredis sends (pipelines and MULTI included: each queued command). */
export function instrumentRedis(client: Redis, metrics: ClientMetrics): void {
  for (const op of COMMON_COMMANDS) metrics.init(op);
  const send = client.sendCommand.bind(client) as (...args: unknown[]) => unknown;
  // Rest arguments: a Cluster's sendCommand takes a third (the node a redirection targets).
  client.sendCommand = ((command: { name: string; promise: Promise<unknown> }, ...rest: unknown[]) => {
    const started = process.hrtime.bigint();
    const op = String(command.name).toLowerCase();
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    command.promise.then(
      () => metrics.record(op, seconds(), false),
      () => metrics.record(op, seconds(), true),
    );
    return send(command, ...rest);
  }) as typeof client.sendCommand;
}
