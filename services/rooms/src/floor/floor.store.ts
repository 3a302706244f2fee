import { Injectable } from '@nestjs/common';
import { newId, Redis } from '@switchboard/platform';
import { floorKey } from './floor.keys.js';

export interface FloorHolder {
  userId: string;
  connectionId: string;
  expiresAt: number;
  /** The talk spurt (`ptt.audio`): new with every grant and every change of the holding connection. */
  talkId: string;
}

/** The talk a released lease carried (leases granted before talks existed have none). */
export const talkOf = (h: FloorHolder): { talkId?: string } => (h.talkId ? { talkId: h.talkId } : {});

export type FloorOutcome = { state: 'taken' | 'refreshed'; holder: FloorHolder; displaced?: FloorHolder } | { state: 'busy'; holder: FloorHolder };

/**
 * Sorted set of rooms whose floor lease should be checked at the score (ms), swept for `timeout`.
 * It is one key in another slot than the leases (docs/decisions/0031), so it is written outside
 * the lease scripts: before a grant with `LT` (the check never comes later than the lease's end),
 * and the sweep re-schedules a lease it finds refreshed, so no lease is ever left unchecked.
 */
export const FLOOR_DUE = 'sb:rooms:floor_due';

/**
 * Grants the floor unless another user holds an unexpired lease; the holder asking again
 * refreshes its lease (and keeps its talk, unless it asks from another connection: a talk is
 * one connection's). KEYS[1]=floor; ARGV: userId, connectionId, now, ttl, new talkId.
 */
const REQUEST_SCRIPT = `
local cur = redis.call('GET', KEYS[1])
local state = 'taken'
local displaced = ''
local talk = ARGV[5]
if cur then
  local h = cjson.decode(cur)
  if h.userId ~= ARGV[1] then
    if tonumber(h.expiresAt) > tonumber(ARGV[3]) then return {'busy', cur, ''} end
    displaced = cur
  elseif h.connectionId == ARGV[2] and h.talkId then
    state = 'refreshed'
    talk = h.talkId
  end
end
local exp = tonumber(ARGV[3]) + tonumber(ARGV[4])
local v = cjson.encode({userId = ARGV[1], connectionId = ARGV[2], expiresAt = exp, talkId = talk})
redis.call('SET', KEYS[1], v)
return {state, v, displaced}
`;

/**
 * Deletes the lease when it matches: by holder user, by holder connection, or when expired.
 * KEYS[1]=floor; ARGV: field ('userId' | 'connectionId' | 'expired'), value, now.
 */
const RELEASE_SCRIPT = `
local cur = redis.call('GET', KEYS[1])
if not cur then return nil end
local h = cjson.decode(cur)
if ARGV[1] == 'expired' then
  if tonumber(h.expiresAt) > tonumber(ARGV[3]) then return nil end
elseif h[ARGV[1]] ~= ARGV[2] then
  return nil
end
redis.call('DEL', KEYS[1])
return cur
`;

/** The push-to-talk floor of each room: one Redis lease per room, shared by every replica. */
@Injectable()
export class FloorStore {
  constructor(private readonly redis: Redis) {}

  async request(roomId: string, userId: string, connectionId: string, ttlMs: number, now = Date.now()): Promise<FloorOutcome> {
    // Due first (never later than the lease could end), so a crash after the grant leaves no unchecked lease.
    await this.redis.zadd(FLOOR_DUE, 'LT', now + ttlMs, roomId);
    const [state, holder, displaced] = (await this.redis.eval(REQUEST_SCRIPT, 1, floorKey(roomId), userId, connectionId, now, ttlMs, newId('t'))) as [string, string, string];
    if (state === 'busy') return { state, holder: JSON.parse(holder) as FloorHolder };
    return { state: state as 'taken' | 'refreshed', holder: JSON.parse(holder) as FloorHolder, displaced: displaced ? (JSON.parse(displaced) as FloorHolder) : undefined };
  }

  /** Releases the floor if `match` fits the current lease; returns the released lease. */
  async releaseIf(roomId: string, match: { userId: string } | { connectionId: string } | { expiredAt: number }): Promise<FloorHolder | undefined> {
    const [field, value] = 'userId' in match ? ['userId', match.userId] : 'connectionId' in match ? ['connectionId', match.connectionId] : ['expired', ''];
    const now = 'expiredAt' in match ? match.expiredAt : Date.now();
    const raw = (await this.redis.eval(RELEASE_SCRIPT, 1, floorKey(roomId), field, value, now)) as string | null;
    // A due entry left behind (crash) only makes the sweep look at a room with no lease.
    if (raw) await this.redis.zrem(FLOOR_DUE, roomId);
    return raw ? (JSON.parse(raw) as FloorHolder) : undefined;
  }

  async holder(roomId: string): Promise<FloorHolder | undefined> {
    const raw = await this.redis.get(floorKey(roomId));
    return raw ? (JSON.parse(raw) as FloorHolder) : undefined;
  }

  async clear(roomId: string): Promise<void> {
    await this.redis.del(floorKey(roomId));
    await this.redis.zrem(FLOOR_DUE, roomId);
  }
}
