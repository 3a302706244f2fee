import { Injectable } from '@nestjs/common';
import { Redis } from '@switchboard/platform';

/** One live connection as presence records it. */
/** A registered open: the connections it replaces, and the newer one replacing it (reported out of order). */
export interface OpenResult {
  replaced: string[];
  replacedBy?: string;
}

export interface ConnectionRecord {
  connectionId: string;
  userId: string;
  sessionId: string;
  nodeId: string;
  device: string;
  connectedAt: number;
  boot: string;
}

/**
 * Keys (scripts touch keys derived from ids: every presence key carries the hash tag {pr}, so on a
 * Redis Cluster they share one slot, docs/decisions/0031):
 *   sb:{pr}:deadlines          ZSET connectionId → deadline (ms). The liveness authority: a
 *                            connection is alive while it has an entry; sweeps read only the
 *                            lapsed head, never the keyspace.
 *   sb:{pr}:conn:<id>          HASH the ConnectionRecord, TTL 3×TTL refreshed by reports (a
 *                            safety net: claims delete it).
 *   sb:{pr}:gone:<id>          tombstone, so a retried `opened` cannot resurrect a claimed id.
 *   sb:{pr}:node:<node>        STRING boot id, TTL = liveness TTL: the gateway's own lease.
 *   sb:{pr}:node:<node>:conns  SET connection ids held by that gateway.
 *   sb:{pr}:node:<node>:renewed  marker, TTL = the renewal period: that node's deadlines were renewed.
 *   sb:{pr}:user:<user>:conns  HASH connectionId → device (entries without a deadline are stale).
 */
export const DEADLINES = 'sb:{pr}:deadlines';
const connKey = (id: string) => `sb:{pr}:conn:${id}`;
const goneKey = (id: string) => `sb:{pr}:gone:${id}`;
const nodeKey = (node: string) => `sb:{pr}:node:${node}`;
const nodeConnsKey = (node: string) => `sb:{pr}:node:${node}:conns`;
const nodeRenewedKey = (node: string) => `sb:{pr}:node:${node}:renewed`;
export const userConnsKey = (user: string) => `sb:{pr}:user:${user}:conns`;

/**
 * Registers a report's new connections in order and, under a single-session policy, names the
 * ones each replaces, in one script call for the whole batch (a storm's report carries hundreds:
 * one call each cost presence a command write per open, ADR 0068). Atomic per batch, so two
 * replicas racing for the same device leave exactly one survivor; a later open of the batch
 * sees the earlier ones, as if sent one after the other. Keys are built from the {pr} prefix
 * (one slot, docs/decisions/0031); KEYS[1] routes the call there.
 * The newest connection by `connectedAt` (the gateway's accept time) survives, whatever order the
 * reports arrive in: two gateways report independently, so a phone's new connection can reach
 * presence before the old one's open; then the old one, registered second, is the one replaced.
 * KEYS: deadlines  ARGV: deadline, keyTtl, policy, then per connection: id, user, session, node, device, connectedAt, boot
 * Returns one entry per connection: {0} when already known or claimed, else {1, replacedBy or '',
 * replacedIds...}: `replacedBy` the newer connection that replaces this one at once.
 */
const OPEN_MANY = `
local deadline, keyTtl, policy = ARGV[1], ARGV[2], ARGV[3]
local out = {}
for i = 4, #ARGV, 7 do
  local id, user, session, node, device, connectedAt, boot = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4], ARGV[i + 5], ARGV[i + 6]
  local connKey = 'sb:{pr}:conn:' .. id
  local userKey = 'sb:{pr}:user:' .. user .. ':conns'
  local nodeKey = 'sb:{pr}:node:' .. node .. ':conns'
  if redis.call('EXISTS', connKey) == 1 or redis.call('EXISTS', 'sb:{pr}:gone:' .. id) == 1 then
    out[#out + 1] = {0}
  else
    local res = {1, ''}
    if policy ~= 'none' then
      local all = redis.call('HGETALL', userKey)
      for j = 1, #all, 2 do
        if policy == 'user' or all[j + 1] == device then
          local at = tonumber(redis.call('HGET', 'sb:{pr}:conn:' .. all[j], 'connectedAt') or '0') or 0
          if at > tonumber(connectedAt) then res[2] = all[j] else table.insert(res, all[j]) end
        end
      end
    end
    redis.call('HSET', connKey, 'connectionId', id, 'userId', user, 'sessionId', session, 'nodeId', node, 'device', device, 'connectedAt', connectedAt, 'boot', boot)
    redis.call('PEXPIRE', connKey, keyTtl)
    redis.call('ZADD', KEYS[1], deadline, id)
    redis.call('SADD', nodeKey, id)
    redis.call('PEXPIRE', nodeKey, keyTtl)
    redis.call('HSET', userKey, id, device)
    out[#out + 1] = res
  end
end
return out
`;

/** Connections per OPEN_MANY call: bounds how long one call holds Redis (a report carries up to 5,000). */
export const OPEN_CHUNK = 500;

/**
 * Claims a connection for its gone-processing: whoever removes it from the deadline set owns
 * it, so a clean close and an expiry (or two sweeping replicas) produce exactly one event.
 * KEYS: deadlines, conn, gone  ARGV: id, tombstoneTtl. Returns the record's flat HGETALL or nil.
 */
const CLAIM = `
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return nil end
local data = redis.call('HGETALL', KEYS[2])
redis.call('DEL', KEYS[2])
redis.call('SET', KEYS[3], '1', 'PX', ARGV[2])
local rec = {}
for i = 1, #data, 2 do rec[data[i]] = data[i + 1] end
if rec.nodeId then redis.call('SREM', 'sb:{pr}:node:' .. rec.nodeId .. ':conns', ARGV[1]) end
if rec.userId then redis.call('HDEL', 'sb:{pr}:user:' .. rec.userId .. ':conns', ARGV[1]) end
return data
`;

/**
 * A gateway's report: renews its lease and, at most once per `renewEvery`, every deadline it
 * holds. Reports also carry opens and closes, and during a connect storm a gateway sends one
 * per event-loop turn; renewing every held deadline on each of them made a storm of N
 * connections cost O(N²) Redis commands (ADR 0058). Deadlines set at open or at the last
 * renewal stay at least TTL - renewEvery ahead, and the gateway reports at least once an interval.
 * KEYS: node, node conns, deadlines, node renewed-marker  ARGV: boot, ttl, deadline, keyTtl, renewEvery
 * Returns {previous boot or '', held count, 1 when deadlines were renewed}.
 */
const REFRESH = `
local old = redis.call('GET', KEYS[1]) or ''
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
local renewed = 0
if redis.call('SET', KEYS[4], '1', 'PX', ARGV[5], 'NX') then
  renewed = 1
  local conns = redis.call('SMEMBERS', KEYS[2])
  for i = 1, #conns do
    redis.call('ZADD', KEYS[3], 'XX', ARGV[3], conns[i])
    redis.call('PEXPIRE', 'sb:{pr}:conn:' .. conns[i], ARGV[4])
  end
end
return {old, redis.call('SCARD', KEYS[2]), renewed}
`;

function toRecord(flat: string[] | null, connectionId: string): ConnectionRecord | undefined {
  if (!flat) return undefined;
  const r: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) r[flat[i]] = flat[i + 1];
  return { connectionId, userId: r.userId ?? '', sessionId: r.sessionId ?? '', nodeId: r.nodeId ?? '', device: r.device ?? '', connectedAt: Number(r.connectedAt ?? 0), boot: r.boot ?? '' };
}

@Injectable()
export class LivenessStore {
  constructor(private readonly redis: Redis) {}

  /** Returns undefined when the id is already known (a retried report), else the ids it replaces. */
  async open(c: ConnectionRecord, ttlMs: number, policy: string): Promise<OpenResult | undefined> {
    return (await this.openMany([c], ttlMs, policy))[0];
  }

  /** `open` for a report's connections, in order, in one script call per OPEN_CHUNK: one result per connection. */
  async openMany(recs: ConnectionRecord[], ttlMs: number, policy: string): Promise<(OpenResult | undefined)[]> {
    const out: (OpenResult | undefined)[] = [];
    for (let i = 0; i < recs.length; i += OPEN_CHUNK) {
      const args: (string | number)[] = [Date.now() + ttlMs, ttlMs * 3, policy];
      for (const c of recs.slice(i, i + OPEN_CHUNK)) args.push(c.connectionId, c.userId, c.sessionId, c.nodeId, c.device, c.connectedAt, c.boot);
      const res = (await this.redis.eval(OPEN_MANY, 1, DEADLINES, ...args)) as [number, string, ...string[]][];
      for (const [known, by, ...replaced] of res) out.push(known === 1 ? { replaced: replaced.map(String), ...(by ? { replacedBy: String(by) } : {}) } : undefined);
    }
    return out;
  }

  /** Claims the connection; the record when this caller won it (exactly one caller does). */
  async claim(connectionId: string, tombstoneMs: number): Promise<ConnectionRecord | undefined> {
    const flat = (await this.redis.eval(CLAIM, 3, DEADLINES, connKey(connectionId), goneKey(connectionId), connectionId, tombstoneMs)) as string[] | null;
    return toRecord(flat, connectionId);
  }

  /** Renews the node's lease, and its connections' deadlines unless that was done less than `renewEveryMs` ago. */
  async refresh(nodeId: string, boot: string, ttlMs: number, renewEveryMs: number): Promise<{ previousBoot: string; held: number; renewed: boolean }> {
    const [previousBoot, held, renewed] = (await this.redis.eval(
      REFRESH,
      4,
      nodeKey(nodeId),
      nodeConnsKey(nodeId),
      DEADLINES,
      nodeRenewedKey(nodeId),
      boot,
      ttlMs,
      Date.now() + ttlMs,
      ttlMs * 3,
      renewEveryMs,
    )) as [string, number, number];
    return { previousBoot, held: Number(held), renewed: renewed === 1 };
  }

  /** Connection ids whose deadline has passed, oldest first (a bounded head, not a scan). */
  lapsed(now: number, limit: number): Promise<string[]> {
    return this.redis.zrangebyscore(DEADLINES, '-inf', now, 'LIMIT', 0, limit);
  }

  /** The earliest deadline in the set (ms), or undefined when no connection is held. */
  async earliestDeadline(): Promise<number | undefined> {
    const [, score] = await this.redis.zrange(DEADLINES, 0, 0, 'WITHSCORES');
    return score === undefined ? undefined : Number(score);
  }

  nodeConnections(nodeId: string): Promise<string[]> {
    return this.redis.smembers(nodeConnsKey(nodeId));
  }

  heldCount(nodeId: string): Promise<number> {
    return this.redis.scard(nodeConnsKey(nodeId));
  }

  async get(connectionId: string): Promise<ConnectionRecord | undefined> {
    const h = await this.redis.hgetall(connKey(connectionId));
    return h.userId ? toRecord(Object.entries(h).flat(), connectionId) : undefined;
  }

  async ofUser(userId: string): Promise<ConnectionRecord[]> {
    const ids = await this.redis.hkeys(userConnsKey(userId));
    const recs = await Promise.all(ids.map((id) => this.get(id)));
    return recs.filter((r): r is ConnectionRecord => !!r).sort((a, b) => a.connectedAt - b.connectedAt);
  }

  /** Live connection ids among `ids` (those still holding a deadline). */
  async alive(ids: string[]): Promise<Set<string>> {
    if (!ids.length) return new Set();
    const scores = await this.redis.zmscore(DEADLINES, ...ids);
    return new Set(ids.filter((_, i) => scores[i] !== null));
  }

  onlineConnections(): Promise<number> {
    return this.redis.zcard(DEADLINES);
  }
}
