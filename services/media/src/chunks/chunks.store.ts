import { Injectable } from '@nestjs/common';
import { DueStore, DueTimers, Redis } from '@switchboard/platform';

/*
 * Keys (every replica shares them):
 *   sb:{media:chunks}:chunk:<id>:sources   zset connectionId → expiry (ms): who announced the chunk
 *   sb:{media:chunks}:chunk:<id>:waiters   set of connectionIds waiting for its data
 *   sb:{media:chunks}:chunk:<id>:pull      hash {source, attempt}: the one pull in flight
 *   sb:{media:chunks}:chunk:<id>:asked     set of sources asked by that pull (any of them may push)
 *   sb:{media:chunks}:conn:<c>:chunks      set of chunk ids the connection announced (limit, cleanup)
 *   sb:{media:chunks}:conn:<c>:waiting     zset chunkId → expiry: what the connection waits for (limit, cleanup)
 * The scripts build chunk keys from ids (validated to [A-Za-z0-9_-]); every key carries the hash
 * tag {media:chunks}, so on a Redis Cluster they share one slot (docs/decisions/0031).
 */
const connChunks = (connectionId: string) => `sb:{media:chunks}:conn:${connectionId}:chunks`;
const connWaiting = (connectionId: string) => `sb:{media:chunks}:conn:${connectionId}:waiting`;
/** Declared (not read) by scripts that name no key of their own, so a Redis Cluster routes them to the chunks' slot. */
const CHUNKS_SLOT = 'sb:{media:chunks}:slot';

const LUA_KEYS = `
local function k(id, part) return 'sb:{media:chunks}:chunk:' .. id .. ':' .. part end
local function pick(id, now, seed, exclude)
  local src = k(id, 'sources')
  redis.call('ZREMRANGEBYSCORE', src, '-inf', now)
  local all = redis.call('ZRANGE', src, 0, -1)
  local cands = {}
  for i = 1, #all do if not exclude[all[i]] then cands[#cands + 1] = all[i] end end
  if #cands == 0 then return nil end
  return cands[math.floor(tonumber(seed) * #cands) + 1]
end
-- Ends a chunk's pull: forgets it and its waiters, and returns {status, waiters...}.
local function close(id, status)
  local waiters = redis.call('SMEMBERS', k(id, 'waiters'))
  redis.call('DEL', k(id, 'waiters'), k(id, 'pull'), k(id, 'asked'))
  local out = {status}
  for i = 1, #waiters do
    redis.call('ZREM', 'sb:{media:chunks}:conn:' .. waiters[i] .. ':waiting', id)
    out[#out + 1] = waiters[i]
  end
  return out
end
`;

/**
 * KEYS[1]=conn chunks. ARGV: connectionId, expiresAt, ttlMs, max, chunkIds...
 * Returns {'ok', total} or {'limit', current}.
 */
const ANNOUNCE_SCRIPT = `${LUA_KEYS}
local fresh = 0
for i = 5, #ARGV do if redis.call('SISMEMBER', KEYS[1], ARGV[i]) == 0 then fresh = fresh + 1 end end
local count = redis.call('SCARD', KEYS[1])
if count + fresh > tonumber(ARGV[4]) then return {'limit', count} end
for i = 5, #ARGV do
  local src = k(ARGV[i], 'sources')
  redis.call('ZADD', src, ARGV[2], ARGV[1])
  redis.call('PEXPIRE', src, ARGV[3])
  redis.call('SADD', KEYS[1], ARGV[i])
end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {'ok', count + fresh}
`;

/**
 * Adds a waiter and, when no pull is in flight, starts one at a random source other than the requester.
 * KEYS[1]=conn waiting. ARGV: chunkId, connectionId, now, waitMs, maxWaiters, maxPending, seed.
 * Returns {'requested', source} | {'pending'} | {'no_source'} | {'too_many_waiters'} | {'too_many_pending'}.
 */
const REQUEST_SCRIPT = `${LUA_KEYS}
local id, conn, now, waitMs = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if not redis.call('ZSCORE', KEYS[1], id) and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[6]) then return {'too_many_pending'} end
local waiters = k(id, 'waiters')
if redis.call('SISMEMBER', waiters, conn) == 0 and redis.call('SCARD', waiters) >= tonumber(ARGV[5]) then return {'too_many_waiters'} end
local out = {'pending'}
if redis.call('EXISTS', k(id, 'pull')) == 0 then
  local source = pick(id, now, ARGV[7], {[conn] = true})
  if not source then return {'no_source'} end
  redis.call('HSET', k(id, 'pull'), 'source', source, 'attempt', 1)
  redis.call('DEL', k(id, 'asked'))
  redis.call('SADD', k(id, 'asked'), source)
  redis.call('PEXPIRE', k(id, 'pull'), waitMs)
  redis.call('PEXPIRE', k(id, 'asked'), waitMs)
  out = {'requested', source}
end
redis.call('SADD', waiters, conn)
redis.call('PEXPIRE', waiters, waitMs)
redis.call('ZADD', KEYS[1], now + waitMs, id)
redis.call('PEXPIRE', KEYS[1], waitMs)
return out
`;

/**
 * A source's push: accepted only from a source this chunk's pull asked. Ends the pull and hands
 * back the waiters. ARGV: chunkId, connectionId. Returns {'ok', waiters...} | {'refused'}.
 */
const PUSH_SCRIPT = `${LUA_KEYS}
local id, conn = ARGV[1], ARGV[2]
if redis.call('SISMEMBER', k(id, 'asked'), conn) == 0 then return {'refused'} end
return close(id, 'ok')
`;

/**
 * A pull timed out: ask another source (not asked yet, not a waiter), or give up.
 * ARGV: chunkId, now, maxAttempts, waitMs, seed.
 * Returns {'done'} (delivered or nobody waits) | {'retry', source} | {'exhausted', waiters...}.
 */
const RETRY_SCRIPT = `${LUA_KEYS}
local id, now = ARGV[1], tonumber(ARGV[2])
if redis.call('EXISTS', k(id, 'pull')) == 0 then return {'done'} end
local waiters = redis.call('SMEMBERS', k(id, 'waiters'))
if #waiters == 0 then redis.call('DEL', k(id, 'pull'), k(id, 'asked')); return {'done'} end
local source = nil
if tonumber(redis.call('HGET', k(id, 'pull'), 'attempt')) < tonumber(ARGV[3]) then
  local exclude = {}
  for _, c in ipairs(redis.call('SMEMBERS', k(id, 'asked'))) do exclude[c] = true end
  for _, c in ipairs(waiters) do exclude[c] = true end
  source = pick(id, now, ARGV[5], exclude)
end
if source then
  redis.call('HSET', k(id, 'pull'), 'source', source)
  redis.call('HINCRBY', k(id, 'pull'), 'attempt', 1)
  redis.call('SADD', k(id, 'asked'), source)
  for _, key in ipairs({k(id, 'pull'), k(id, 'asked'), k(id, 'waiters')}) do redis.call('PEXPIRE', key, ARGV[4]) end
  return {'retry', source}
end
return close(id, 'exhausted')
`;

/**
 * A connection is gone: it stops being a source and a waiter. Returns the chunks whose pull
 * was waiting on it, so they can be re-pulled at once. KEYS[1]=conn chunks KEYS[2]=conn waiting; ARGV: connectionId.
 */
const DROP_SCRIPT = `${LUA_KEYS}
local conn = ARGV[1]
local orphaned = {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  redis.call('ZREM', k(id, 'sources'), conn)
  if redis.call('HGET', k(id, 'pull'), 'source') == conn then orphaned[#orphaned + 1] = id end
end
for _, id in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do redis.call('SREM', k(id, 'waiters'), conn) end
redis.call('DEL', KEYS[1], KEYS[2])
return orphaned
`;

export type RequestOutcome = { status: 'requested'; source: string } | { status: 'pending' | 'no_source' | 'too_many_waiters' | 'too_many_pending' };
export type RetryOutcome = { status: 'done' } | { status: 'retry'; source: string } | { status: 'exhausted'; waiters: string[] };

export interface ChunkLimits {
  maxWaiters: number;
  maxPending: number;
  /** How long a waiter waits at most: every pull attempt's timeout. */
  waitMs: number;
  maxAttempts: number;
}

/** Chunk sources, waiters and the one pull per chunk, in Redis so every replica coordinates. */
@Injectable()
export class ChunksStore {
  /** Pulls that time out (member: chunk id). */
  readonly pullDeadlines: DueTimers;

  constructor(
    private readonly redis: Redis,
    due: DueStore,
  ) {
    this.pullDeadlines = new DueTimers(due, 'sb:media:chunks:pull_deadlines');
  }

  async announce(connectionId: string, chunkIds: string[], ttlMs: number, max: number): Promise<{ ok: boolean; count: number }> {
    const [status, count] = (await this.redis.eval(ANNOUNCE_SCRIPT, 1, connChunks(connectionId), connectionId, Date.now() + ttlMs, ttlMs, max, ...chunkIds)) as [string, number];
    return { ok: status === 'ok', count: Number(count) };
  }

  async request(chunkId: string, connectionId: string, limits: ChunkLimits): Promise<RequestOutcome> {
    const [status, source] = (await this.redis.eval(REQUEST_SCRIPT, 1, connWaiting(connectionId), chunkId, connectionId, Date.now(), limits.waitMs, limits.maxWaiters, limits.maxPending, Math.random())) as string[];
    return status === 'requested' ? { status, source } : { status: status as Exclude<RequestOutcome['status'], 'requested'> };
  }

  /** The waiters to serve, or null when this connection was not asked for the chunk. */
  async push(chunkId: string, connectionId: string): Promise<string[] | null> {
    const [status, ...waiters] = (await this.redis.eval(PUSH_SCRIPT, 1, CHUNKS_SLOT, chunkId, connectionId)) as string[];
    return status === 'ok' ? waiters : null;
  }

  async retry(chunkId: string, limits: ChunkLimits): Promise<RetryOutcome> {
    const [status, ...rest] = (await this.redis.eval(RETRY_SCRIPT, 1, CHUNKS_SLOT, chunkId, Date.now(), limits.maxAttempts, limits.waitMs, Math.random())) as string[];
    if (status === 'retry') return { status, source: rest[0] };
    if (status === 'exhausted') return { status, waiters: rest };
    return { status: 'done' };
  }

  /** Forgets a vanished connection as source and waiter; returns chunks whose pull it was answering. */
  async drop(connectionId: string): Promise<string[]> {
    return (await this.redis.eval(DROP_SCRIPT, 2, connChunks(connectionId), connWaiting(connectionId), connectionId)) as string[];
  }
}
