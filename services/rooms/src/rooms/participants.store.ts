import { Injectable } from '@nestjs/common';
import { Redis } from '@switchboard/platform';
import type { ParticipantView } from '@switchboard/protocol';

export interface LiveParticipant extends ParticipantView {
  nodeId: string;
}

const roomKey = (roomId: string) => `sb:room:${roomId}:participants`;
const connKey = (connectionId: string) => `sb:conn:${connectionId}:rooms`;

/**
 * Adds a participant unless the room holds `max` distinct users already. Atomic, so two
 * replicas racing for the last seat admit exactly one. A user's extra connections
 * (other devices) do not take extra seats.
 * KEYS[1]=room hash KEYS[2]=conn set; ARGV: connId, userId, json, max, roomId
 * Returns 1 added, 2 already present, 0 full.
 */
const JOIN_SCRIPT = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 2 end
local users = {}
local count = 0
local vals = redis.call('HVALS', KEYS[1])
for i = 1, #vals do
  local u = cjson.decode(vals[i]).userId
  if not users[u] then users[u] = true; count = count + 1 end
end
if not users[ARGV[2]] and count >= tonumber(ARGV[4]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('SADD', KEYS[2], ARGV[5])
return 1
`;

/** Live participants (connections in a room) in Redis, shared by every replica. */
@Injectable()
export class ParticipantsStore {
  constructor(private readonly redis: Redis) {}

  async add(roomId: string, p: LiveParticipant, maxUsers: number): Promise<'added' | 'present' | 'full'> {
    const res = await this.redis.eval(JOIN_SCRIPT, 2, roomKey(roomId), connKey(p.connectionId), p.connectionId, p.userId, JSON.stringify(p), maxUsers, roomId);
    return res === 1 ? 'added' : res === 2 ? 'present' : 'full';
  }

  async remove(roomId: string, connectionId: string): Promise<LiveParticipant | undefined> {
    const [[, raw]] = (await this.redis.multi().hget(roomKey(roomId), connectionId).hdel(roomKey(roomId), connectionId).srem(connKey(connectionId), roomId).exec()) as [[unknown, string | null]];
    return raw ? (JSON.parse(raw) as LiveParticipant) : undefined;
  }

  async get(roomId: string, connectionId: string): Promise<LiveParticipant | undefined> {
    const raw = await this.redis.hget(roomKey(roomId), connectionId);
    return raw ? (JSON.parse(raw) as LiveParticipant) : undefined;
  }

  async list(roomId: string): Promise<LiveParticipant[]> {
    const all = await this.redis.hvals(roomKey(roomId));
    return all.map((raw) => JSON.parse(raw) as LiveParticipant).sort((a, b) => a.joinedAt - b.joinedAt);
  }

  async count(roomId: string): Promise<number> {
    return this.redis.hlen(roomKey(roomId));
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
