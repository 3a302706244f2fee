import { Injectable } from '@nestjs/common';
import { Redis, seqKey } from '@switchboard/platform';
import type { ParticipantView } from '@switchboard/protocol';

export interface LiveParticipant extends ParticipantView {
  nodeId: string;
  /** Gateway session of the connection; session.resume matches on it. */
  sessionId: string;
  /**
   * The room's seq when this seat was taken (set atomically with it by the join script):
   * replay for this seat never reaches back to it or before, so a late joiner (or a user
   * approved later) cannot read what was said before they took the seat.
   */
  joinSeq?: number;
}

const roomKey = (roomId: string) => `sb:room:${roomId}:participants`;
const connKey = (connectionId: string) => `sb:conn:${connectionId}:rooms`;

/**
 * Adds a participant unless the room holds `max` distinct users already. Atomic, so two
 * replicas racing for the last seat admit exactly one. A user's extra connections
 * (other devices) do not take extra seats. The entry records the room's seq at that moment
 * (`joinSeq`): every event with a higher seq was published after the seat existed.
 * KEYS[1]=room hash KEYS[2]=conn set KEYS[3]=room seq; ARGV: connId, userId, json, max, roomId
 * Returns [1 added | 2 already present | 0 full, the room's entries after the call], so a
 * join needs no second read to answer with the participant list.
 */
const JOIN_SCRIPT = `
local vals = redis.call('HVALS', KEYS[1])
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return {2, vals} end
local users = {}
local count = 0
for i = 1, #vals do
  local u = cjson.decode(vals[i]).userId
  if not users[u] then users[u] = true; count = count + 1 end
end
if not users[ARGV[2]] and count >= tonumber(ARGV[4]) then return {0, vals} end
local p = cjson.decode(ARGV[3])
p.joinSeq = tonumber(redis.call('GET', KEYS[3]) or '0')
local entry = cjson.encode(p)
redis.call('HSET', KEYS[1], ARGV[1], entry)
redis.call('SADD', KEYS[2], ARGV[5])
vals[#vals + 1] = entry
return {1, vals}
`;

/**
 * Applies a JSON patch (role, muted) to every entry of one user in a room.
 * KEYS[1]=room hash; ARGV: userId, patch json. Returns the number of entries changed.
 */
const PATCH_USER_SCRIPT = `
local patch = cjson.decode(ARGV[2])
local all = redis.call('HGETALL', KEYS[1])
local n = 0
for i = 1, #all, 2 do
  local p = cjson.decode(all[i + 1])
  if p.userId == ARGV[1] then
    for k, v in pairs(patch) do p[k] = v end
    redis.call('HSET', KEYS[1], all[i], cjson.encode(p))
    n = n + 1
  end
end
return n
`;

/**
 * Moves the entry of (user, session) to a new connection, keeping the seat: session.resume.
 * Matching on the user too means nobody can take over another user's entry with a guessed
 * session id. KEYS[1]=room hash; ARGV: userId, sessionId, newConnId, roomId, nodeId.
 * Returns {previousConnectionId, participant json} or nil.
 */
const RESUME_SCRIPT = `
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local p = cjson.decode(all[i + 1])
  if p.userId == ARGV[1] and p.sessionId == ARGV[2] then
    local old = all[i]
    p.connectionId = ARGV[3]
    p.nodeId = ARGV[5]
    redis.call('HDEL', KEYS[1], old)
    redis.call('HSET', KEYS[1], ARGV[3], cjson.encode(p))
    redis.call('SREM', 'sb:conn:' .. old .. ':rooms', ARGV[4])
    redis.call('SADD', 'sb:conn:' .. ARGV[3] .. ':rooms', ARGV[4])
    return {old, cjson.encode(p)}
  end
end
return nil
`;

/** Live participants (connections in a room) in Redis, shared by every replica. */
@Injectable()
export class ParticipantsStore {
  constructor(private readonly redis: Redis) {}

  async add(roomId: string, p: LiveParticipant, maxUsers: number): Promise<{ outcome: 'added' | 'present' | 'full'; participants: LiveParticipant[] }> {
    const [code, vals] = (await this.redis.eval(JOIN_SCRIPT, 3, roomKey(roomId), connKey(p.connectionId), seqKey(roomId), p.connectionId, p.userId, JSON.stringify(p), maxUsers, roomId)) as [number, string[]];
    return { outcome: code === 1 ? 'added' : code === 2 ? 'present' : 'full', participants: parseSorted(vals) };
  }

  /** Removes one connection; undefined when it was not there (or another call removed it first). */
  async remove(roomId: string, connectionId: string): Promise<LiveParticipant | undefined> {
    const [[, raw], [, deleted]] = (await this.redis.multi().hget(roomKey(roomId), connectionId).hdel(roomKey(roomId), connectionId).srem(connKey(connectionId), roomId).exec()) as [
      [unknown, string | null],
      [unknown, number],
    ];
    return raw && deleted ? (JSON.parse(raw) as LiveParticipant) : undefined;
  }

  async get(roomId: string, connectionId: string): Promise<LiveParticipant | undefined> {
    const raw = await this.redis.hget(roomKey(roomId), connectionId);
    return raw ? (JSON.parse(raw) as LiveParticipant) : undefined;
  }

  async list(roomId: string): Promise<LiveParticipant[]> {
    return parseSorted(await this.redis.hvals(roomKey(roomId)));
  }

  /** Distinct users present in each room, in one round trip. */
  async userCounts(roomIds: string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (!roomIds.length) return out;
    const m = this.redis.multi();
    for (const id of roomIds) m.hvals(roomKey(id));
    const res = (await m.exec()) ?? [];
    roomIds.forEach((id, i) => out.set(id, distinctUsers(((res[i]?.[1] as string[]) ?? []).map((raw) => JSON.parse(raw) as LiveParticipant))));
    return out;
  }

  async ofUser(roomId: string, userId: string): Promise<LiveParticipant[]> {
    return (await this.list(roomId)).filter((p) => p.userId === userId);
  }

  /** Removes every connection of a user from a room (kick, ban); returns what was removed. */
  async removeUser(roomId: string, userId: string): Promise<LiveParticipant[]> {
    const mine = await this.ofUser(roomId, userId);
    if (!mine.length) return [];
    const m = this.redis.multi();
    for (const p of mine) m.hdel(roomKey(roomId), p.connectionId).srem(connKey(p.connectionId), roomId);
    const res = (await m.exec()) ?? [];
    // Only report entries this call deleted, so concurrent removals announce each once.
    return mine.filter((_, i) => res[i * 2]?.[1] === 1);
  }

  async patchUser(roomId: string, userId: string, patch: Partial<Pick<LiveParticipant, 'role' | 'muted'>>): Promise<number> {
    return (await this.redis.eval(PATCH_USER_SCRIPT, 1, roomKey(roomId), userId, JSON.stringify(patch))) as number;
  }

  async resume(roomId: string, userId: string, sessionId: string, connectionId: string, nodeId: string): Promise<{ previousConnectionId: string; participant: LiveParticipant } | undefined> {
    const res = (await this.redis.eval(RESUME_SCRIPT, 1, roomKey(roomId), userId, sessionId, connectionId, roomId, nodeId)) as [string, string] | null;
    return res ? { previousConnectionId: res[0], participant: JSON.parse(res[1]) as LiveParticipant } : undefined;
  }

  async roomsOfConnection(connectionId: string): Promise<string[]> {
    return this.redis.smembers(connKey(connectionId));
  }

  async clear(roomId: string): Promise<LiveParticipant[]> {
    const list = await this.list(roomId);
    const m = this.redis.multi().del(roomKey(roomId));
    for (const p of list) m.srem(connKey(p.connectionId), roomId);
    await m.exec();
    return list;
  }
}

export function distinctUsers(list: { userId: string }[]): number {
  return new Set(list.map((p) => p.userId)).size;
}

function parseSorted(vals: string[]): LiveParticipant[] {
  return vals
    .map((raw) => JSON.parse(raw) as LiveParticipant)
    .sort((a, b) => a.joinedAt - b.joinedAt || (a.connectionId < b.connectionId ? -1 : a.connectionId > b.connectionId ? 1 : 0));
}
