import { Injectable } from '@nestjs/common';
import { newId, Redis, seqKey } from '@switchboard/platform';
import type { ParticipantView } from '@switchboard/protocol';
import { floorMoveLua, floorKey } from '../floor/floor.keys.js';

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

// Hash tags (docs/decisions/0031): a room's seats and its seq share the slot {room:<id>}; the
// index of a connection's rooms lives in {conn:<id>}, written before a seat is taken and cleaned
// after it is given up, so it may hold a room the connection has no seat in (harmless: removing
// a missing seat is a no-op) but never misses one.
const roomKey = (roomId: string) => `sb:{room:${roomId}}:participants`;
const connKey = (connectionId: string) => `sb:{conn:${connectionId}}:rooms`;

/**
 * Adds a participant unless the room holds `max` distinct users already. Atomic, so two
 * replicas racing for the last seat admit exactly one. A user's extra connections
 * (other devices) do not take extra seats. A new seat also takes the room's next seq, for its
 * `room.participant_joined` (one Redis call per join instead of a script and an INCR, ADR 0068);
 * the entry records the seq before it (`joinSeq`): every event with a higher seq, its own
 * participant_joined first, was published after the seat existed.
 * KEYS[1]=room hash KEYS[2]=room seq (one slot); ARGV: connId, userId, json, max
 * Returns [1 added | 2 already present | 0 full, the room's entries after the call, the seq:
 * the participant_joined's when added, the room's current one otherwise], so a join needs no
 * second read to answer with the participant list.
 */
const JOIN_SCRIPT = `
local vals = redis.call('HVALS', KEYS[1])
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return {2, vals, tonumber(redis.call('GET', KEYS[2]) or '0')} end
local users = {}
local count = 0
for i = 1, #vals do
  local u = cjson.decode(vals[i]).userId
  if not users[u] then users[u] = true; count = count + 1 end
end
if not users[ARGV[2]] and count >= tonumber(ARGV[4]) then return {0, vals, 0} end
local seq = redis.call('INCR', KEYS[2])
local p = cjson.decode(ARGV[3])
p.joinSeq = seq - 1
local entry = cjson.encode(p)
redis.call('HSET', KEYS[1], ARGV[1], entry)
vals[#vals + 1] = entry
return {1, vals, seq}
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
 * session id. In the same round (the keys share the room's slot, docs/decisions/0031): the floor
 * lease moves with the seat under a new talk, and the room's seq is taken for the
 * `room.participant_updated` the caller publishes (ADR 0070). The connection indexes are moved
 * by the caller: they live in other slots.
 * KEYS[1]=room hash KEYS[2]=floor lease KEYS[3]=room seq; ARGV: userId, sessionId, newConnId, nodeId, new talkId.
 * Returns {previousConnectionId, participant json, seq} or nil (and takes no seq).
 */
const RESUME_SCRIPT = `
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local p = cjson.decode(all[i + 1])
  if p.userId == ARGV[1] and p.sessionId == ARGV[2] then
    local old = all[i]
    p.connectionId = ARGV[3]
    p.nodeId = ARGV[4]
    redis.call('HDEL', KEYS[1], old)
    redis.call('HSET', KEYS[1], ARGV[3], cjson.encode(p))
    ${floorMoveLua('KEYS[2]', 'old', 'ARGV[3]', 'ARGV[5]')}
    return {old, cjson.encode(p), redis.call('INCR', KEYS[3])}
  end
end
return nil
`;

/** Live participants (connections in a room) in Redis, shared by every replica. */
@Injectable()
export class ParticipantsStore {
  constructor(private readonly redis: Redis) {}

  /**
   * Takes a seat (JOIN_SCRIPT). `seq`: the seq the seat took for its participant_joined when
   * added (publish it with exactly that seq), the room's current seq when already present.
   */
  async add(roomId: string, p: LiveParticipant, maxUsers: number): Promise<{ outcome: 'added' | 'present' | 'full'; participants: LiveParticipant[]; seq: number }> {
    // Index first: a crash after the seat is taken must not leave a seat the sweep cannot find.
    // Should the index fail while the seat was taken (a Cluster's other node), the seat is given back.
    const { index, value } = await this.withIndex(p.connectionId, roomId, () => this.redis.eval(JOIN_SCRIPT, 2, roomKey(roomId), seqKey(roomId), p.connectionId, p.userId, JSON.stringify(p), maxUsers) as Promise<[number, string[], number]>);
    const [code, vals, seq] = value;
    if (index.status === 'rejected') {
      if (code === 1) await this.redis.hdel(roomKey(roomId), p.connectionId);
      throw index.reason;
    }
    if (code === 0) await this.redis.srem(connKey(p.connectionId), roomId);
    return { outcome: code === 1 ? 'added' : code === 2 ? 'present' : 'full', participants: parseSorted(vals), seq: Number(seq) };
  }

  /** Removes one connection; undefined when it was not there (or another call removed it first). */
  async remove(roomId: string, connectionId: string): Promise<LiveParticipant | undefined> {
    const [[, raw], [, deleted]] = (await this.redis.multi().hget(roomKey(roomId), connectionId).hdel(roomKey(roomId), connectionId).exec()) as [
      [unknown, string | null],
      [unknown, number],
    ];
    await this.redis.srem(connKey(connectionId), roomId);
    return raw && deleted ? (JSON.parse(raw) as LiveParticipant) : undefined;
  }

  async get(roomId: string, connectionId: string): Promise<LiveParticipant | undefined> {
    const raw = await this.redis.hget(roomKey(roomId), connectionId);
    return raw ? (JSON.parse(raw) as LiveParticipant) : undefined;
  }

  async list(roomId: string): Promise<LiveParticipant[]> {
    return parseSorted(await this.redis.hvals(roomKey(roomId)));
  }

  /** Distinct users present in each room; the reads go out together (rooms are in different slots). */
  async userCounts(roomIds: string[]): Promise<Map<string, number>> {
    const res = await Promise.all(roomIds.map((id) => this.redis.hvals(roomKey(id))));
    return new Map(roomIds.map((id, i) => [id, distinctUsers(res[i].map((raw) => JSON.parse(raw) as LiveParticipant))]));
  }

  async ofUser(roomId: string, userId: string): Promise<LiveParticipant[]> {
    return (await this.list(roomId)).filter((p) => p.userId === userId);
  }

  /** Removes every connection of a user from a room (kick, ban); returns what was removed. */
  async removeUser(roomId: string, userId: string): Promise<LiveParticipant[]> {
    const mine = await this.ofUser(roomId, userId);
    if (!mine.length) return [];
    const m = this.redis.multi();
    for (const p of mine) m.hdel(roomKey(roomId), p.connectionId);
    const res = (await m.exec()) ?? [];
    await Promise.all(mine.map((p) => this.redis.srem(connKey(p.connectionId), roomId)));
    // Only report entries this call deleted, so concurrent removals announce each once.
    return mine.filter((_, i) => res[i]?.[1] === 1);
  }

  async patchUser(roomId: string, userId: string, patch: Partial<Pick<LiveParticipant, 'role' | 'muted'>>): Promise<number> {
    return (await this.redis.eval(PATCH_USER_SCRIPT, 1, roomKey(roomId), userId, JSON.stringify(patch))) as number;
  }

  /** session.resume's seat move (RESUME_SCRIPT): the seat, the floor lease it holds, and a seq for the caller's `room.participant_updated`. */
  async resume(roomId: string, userId: string, sessionId: string, connectionId: string, nodeId: string): Promise<{ previousConnectionId: string; participant: LiveParticipant; seq: number; oldIndexRemoved: Promise<void> } | undefined> {
    // The new connection's index goes with the seat move, as a join's goes with its seat (ADR
    // 0096). A seat cannot be given back as a join's can (the old connection is gone), so an index
    // that failed while the seat moved (a Cluster's other node) is written again before the move
    // counts; if that fails too, the resume fails.
    const { index, value: res } = await this.withIndex(connectionId, roomId, () => this.redis.eval(RESUME_SCRIPT, 3, roomKey(roomId), floorKey(roomId), seqKey(roomId), userId, sessionId, connectionId, nodeId, newId('t')) as Promise<[string, string, number] | null>);
    if (index.status === 'rejected' && res) await this.redis.sadd(connKey(connectionId), roomId);
    if (!res) {
      // No seat moved: drop the index entry unless this connection holds a seat there anyway.
      if (!(await this.redis.hexists(roomKey(roomId), connectionId))) await this.redis.srem(connKey(connectionId), roomId);
      return undefined;
    }
    // The old connection's index entry is cleaned beside the caller's publish, not before it
    // (ADR 0096): a stale entry there is harmless (its sweep removes a seat that is not there).
    const oldIndexRemoved = this.redis.srem(connKey(res[0]), roomId).then(() => undefined);
    return { previousConnectionId: res[0], participant: JSON.parse(res[1]) as LiveParticipant, seq: res[2], oldIndexRemoved };
  }

  /**
   * Sends the connection's index entry (connKey) and then `write`, without waiting between them:
   * one write, one round (ADR 0068), and one Redis runs them in the order sent, so a process that
   * sent the seat has sent its index. Throws the write's failure; the index's outcome is returned
   * for the caller to repair (on a Cluster the index may live on another node and fail alone).
   */
  private async withIndex<T>(connectionId: string, roomId: string, write: () => Promise<T>): Promise<{ index: PromiseSettledResult<number>; value: T }> {
    const indexing = this.redis.sadd(connKey(connectionId), roomId);
    const [index, result] = await Promise.allSettled([indexing, write()]);
    if (result.status === 'rejected') throw result.reason;
    return { index, value: result.value };
  }

  async roomsOfConnection(connectionId: string): Promise<string[]> {
    return this.redis.smembers(connKey(connectionId));
  }

  async clear(roomId: string): Promise<LiveParticipant[]> {
    const list = await this.list(roomId);
    await this.redis.del(roomKey(roomId));
    await Promise.all(list.map((p) => this.redis.srem(connKey(p.connectionId), roomId)));
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
