import { Injectable } from '@nestjs/common';
import { Redis } from '@switchboard/platform';
import { DEADLINES } from '../liveness/liveness.store.js';

export type Status = 'online' | 'away' | 'busy' | 'invisible';

/** What Redis holds about a user, before any viewer-dependent masking. */
export interface RawPresence {
  userId: string;
  /** Chosen status (persists across sessions), default online. */
  status: Status;
  text: string;
  lastSeen: number;
  /** Devices of live connections (one entry per connection; '' when the token had none). */
  devices: string[];
}

/**
 *   sb:{pr}:user:<user>:status  HASH {status, text}: the user's choice, TTL PRESENCE_STATE_TTL_MS.
 *   sb:{pr}:user:<user>:seen    last time the user was visibly online (ms).
 *   sb:{pr}:user:<user>:vis     "status\ntext" last published, to publish only real changes.
 *   sb:{pr}:user:<user>:watchers HASH {connectionId: watched since (ms)}: who `presence.subscribe`d to the
 *                               user, so nobody's change is published to an empty subject (ADR 0083).
 */
const statusKey = (u: string) => `sb:{pr}:user:${u}:status`;
const watchersKey = (u: string) => `sb:{pr}:user:${u}:watchers`;

/** Shared Lua: reads one user's live devices (dropping stale entries when `prune`), status and last seen. */
const READ_USER = `
local function readUser(connsKey, statusKey, seenKey, prune)
  local conns = redis.call('HGETALL', connsKey)
  local devices = {}
  for i = 1, #conns, 2 do
    if redis.call('ZSCORE', '${DEADLINES}', conns[i]) then table.insert(devices, conns[i + 1])
    elseif prune then redis.call('HDEL', connsKey, conns[i]) end
  end
  local st = redis.call('HGET', statusKey, 'status') or 'online'
  local text = redis.call('HGET', statusKey, 'text') or ''
  local seen = redis.call('GET', seenKey) or '0'
  return devices, st, text, seen
end
`;

/**
 * Whether anyone watches the user, dropping watchers that are gone: a watcher connection with no
 * liveness deadline that has watched for longer than `graceMs` (the liveness TTL: a live
 * connection is registered long before that; its open report may still be on the way) has ended.
 */
const WATCHED = `
local function watched(watchersKey, now, graceMs)
  local w = redis.call('HGETALL', watchersKey)
  local any = 0
  for i = 1, #w, 2 do
    if redis.call('ZSCORE', '${DEADLINES}', w[i]) or now - tonumber(w[i + 1]) <= graceMs then any = 1
    else redis.call('HDEL', watchersKey, w[i]) end
  end
  return any
end
`;

/**
 * Recomputes what others see of each user and swaps it with what was last published, atomically,
 * so concurrent changes on several replicas publish each visible transition once. One call for a
 * report's users together (ADR 0068). KEYS[1]=deadlines (routes it to the {pr} slot on a cluster);
 * ARGV: now, stateTtl, watcher grace (ms), user ids. Returns one {changed 0|1, watched 0|1, status,
 * text, lastSeen, devices...} per user, where status is the chosen one. `watched` is read in the
 * same atomic step as the swap, so a watcher registered before it (then reading the snapshot) sees
 * every later change published (ADR 0083).
 */
const SETTLE_MANY = `${READ_USER}${WATCHED}
local out = {}
for i = 4, #ARGV do
  local prefix = 'sb:{pr}:user:' .. ARGV[i]
  local devices, st, text, seen = readUser(prefix .. ':conns', prefix .. ':status', prefix .. ':seen', true)
  local vis = 'offline'
  if #devices > 0 and st ~= 'invisible' then vis = st end
  local vtext = text
  if vis == 'offline' then vtext = '' end
  local new = vis .. '\\n' .. vtext
  local old = redis.call('GET', prefix .. ':vis') or 'offline\\n'
  if vis ~= 'offline' or old ~= 'offline\\n' then
    seen = ARGV[1]
    redis.call('SET', prefix .. ':seen', seen, 'PX', ARGV[2])
  end
  local changed = 0
  local isWatched = 0
  if new ~= old then
    changed = 1
    redis.call('SET', prefix .. ':vis', new, 'PX', ARGV[2])
    isWatched = watched(prefix .. ':watchers', tonumber(ARGV[1]), tonumber(ARGV[3]))
  end
  local row = {changed, isWatched, st, text, seen}
  for j = 1, #devices do table.insert(row, devices[j]) end
  table.insert(out, row)
end
return out
`;

/** Users per SETTLE_MANY call: bounds how long one call holds Redis. */
export const SETTLE_CHUNK = 500;

/** Read-only batch of READ_USER. KEYS[1]=deadlines (routes it to the {pr} slot on a cluster); ARGV: user ids. Returns one {status, text, seen, devices...} per user. */
const QUERY = `${READ_USER}
local out = {}
for i = 1, #ARGV do
  local u = ARGV[i]
  local devices, st, text, seen = readUser('sb:{pr}:user:' .. u .. ':conns', 'sb:{pr}:user:' .. u .. ':status', 'sb:{pr}:user:' .. u .. ':seen', false)
  local row = {st, text, seen}
  for j = 1, #devices do table.insert(row, devices[j]) end
  table.insert(out, row)
end
return out
`;

function raw(userId: string, row: string[]): RawPresence {
  const [status, text, seen, ...devices] = row.map(String);
  return { userId, status: status as Status, text, lastSeen: Number(seen), devices };
}

export interface Settled {
  changed: boolean;
  /** Someone watches the user (read with the change, atomically). */
  watched: boolean;
  presence: RawPresence;
}

@Injectable()
export class PresenceStore {
  constructor(private readonly redis: Redis) {}

  async setStatus(userId: string, status: Status, text: string, ttlMs: number): Promise<void> {
    await this.redis.multi().hset(statusKey(userId), 'status', status, 'text', text).pexpire(statusKey(userId), ttlMs).exec();
  }

  /**
   * Settles the user's visible state; `changed` when it changed, `watched` when someone watches
   * the user (only then must others be told). `graceMs`: how long a watcher not (yet) registered
   * as live counts (the liveness TTL).
   */
  async settle(userId: string, ttlMs: number, graceMs: number): Promise<Settled> {
    return (await this.settleMany([userId], ttlMs, graceMs))[0];
  }

  /** `settle` for several users, one script call per SETTLE_CHUNK; one result per id, in order. */
  async settleMany(userIds: string[], ttlMs: number, graceMs: number): Promise<Settled[]> {
    const out: Settled[] = [];
    for (let i = 0; i < userIds.length; i += SETTLE_CHUNK) {
      const ids = userIds.slice(i, i + SETTLE_CHUNK);
      const rows = (await this.redis.eval(SETTLE_MANY, 1, DEADLINES, Date.now(), ttlMs, graceMs, ...ids)) as [number, number, ...string[]][];
      rows.forEach(([changed, watched, ...row], j) => out.push({ changed: changed === 1, watched: watched === 1, presence: raw(ids[j], row) }));
    }
    return out;
  }

  /** Registers a connection as a watcher of the users (`presence.subscribe`), before their snapshot is read. */
  async watch(connectionId: string, userIds: string[]): Promise<void> {
    if (!userIds.length) return;
    const now = Date.now();
    const m = this.redis.multi();
    for (const u of userIds) m.hset(watchersKey(u), connectionId, now);
    await m.exec();
  }

  /** `presence.unsubscribe`: the connection stops watching the users. */
  async unwatch(connectionId: string, userIds: string[]): Promise<void> {
    if (!userIds.length) return;
    const m = this.redis.multi();
    for (const u of userIds) m.hdel(watchersKey(u), connectionId);
    await m.exec();
  }

  async query(userIds: string[]): Promise<RawPresence[]> {
    if (!userIds.length) return [];
    const rows = (await this.redis.eval(QUERY, 1, DEADLINES, ...userIds)) as string[][];
    return rows.map((row, i) => raw(userIds[i], row));
  }
}
