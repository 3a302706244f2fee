import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Redis } from '@switchboard/platform';

/** One side of a rendezvous as stored: who, and what it left. */
export interface RendezvousEntry {
  connectionId: string;
  userId: string;
  publicKey?: string;
  deadDrop?: string;
  /** Expiry of this entry (ms); the key's own TTL only bounds the newest entry. */
  exp: number;
}

/**
 * Points and tokens are hashed into keys, so Redis never holds them in the clear and key
 * length is bounded:
 *   sb:{pr}:rv:day:<sha256(point)>   HASH userId → entry (dead drop), key TTL = daily TTL
 *   sb:{pr}:rv:hour:<sha256(token)>  HASH connectionId → entry, key TTL = hourly TTL
 *   sb:{pr}:rv:conn:<connectionId>   SET hour-key hashes of that connection, to drop them when it is gone
 * Expired fields are pruned whenever their key is touched; whole keys expire by TTL. Nothing scans.
 */
const digest = (s: string) => createHash('sha256').update(s).digest('hex');
const dayKey = (point: string) => `sb:{pr}:rv:day:${digest(point)}`;
const hourKey = (token: string) => `sb:{pr}:rv:hour:${digest(token)}`;
const connKey = (connectionId: string) => `sb:{pr}:rv:conn:${connectionId}`;

const MAX_PER_POINT = 64;

/**
 * For each key: prune expired fields, read the others, then add ours (if room) and extend
 * the key's TTL, atomically, so two peers registering at once always see each other.
 * KEYS: the point/token keys  ARGV: now, ttl, field, json, max
 * Returns, per key, the list of other entries' JSON.
 */
const EXCHANGE = `
local out = {}
for k = 1, #KEYS do
  local all = redis.call('HGETALL', KEYS[k])
  local others = {}
  local count = 0
  for i = 1, #all, 2 do
    local e = cjson.decode(all[i + 1])
    if e.exp <= tonumber(ARGV[1]) then redis.call('HDEL', KEYS[k], all[i])
    else
      count = count + 1
      if all[i] ~= ARGV[3] then table.insert(others, all[i + 1]) end
    end
  end
  if count < tonumber(ARGV[5]) or redis.call('HEXISTS', KEYS[k], ARGV[3]) == 1 then
    redis.call('HSET', KEYS[k], ARGV[3], ARGV[4])
    redis.call('PEXPIRE', KEYS[k], ARGV[2])
  end
  table.insert(out, others)
end
return out
`;

@Injectable()
export class RendezvousStore {
  constructor(private readonly redis: Redis) {}

  /** Leaves our dead drop at each point; returns the other users' drops, per point. */
  daily(entry: RendezvousEntry, drops: { point: string; deadDrop: string }[], ttlMs: number): Promise<RendezvousEntry[][]> {
    return Promise.all(drops.map((d) => this.exchange([dayKey(d.point)], entry.userId, { ...entry, deadDrop: d.deadDrop }, ttlMs).then((r) => r[0])));
  }

  /** Adds the connection to each token; returns who was there already, per token. */
  async hourly(entry: RendezvousEntry, tokens: string[], ttlMs: number): Promise<RendezvousEntry[][]> {
    if (!tokens.length) return [];
    const keys = tokens.map(hourKey);
    const found = await this.exchange(keys, entry.connectionId, entry, ttlMs);
    await this.redis.multi().sadd(connKey(entry.connectionId), ...keys).pexpire(connKey(entry.connectionId), ttlMs).exec();
    return found;
  }

  /** Removes a gone connection from every token it registered. */
  async dropConnection(connectionId: string): Promise<void> {
    const keys = await this.redis.smembers(connKey(connectionId));
    const m = this.redis.multi();
    for (const k of keys) m.hdel(k, connectionId);
    await m.del(connKey(connectionId)).exec();
  }

  private async exchange(keys: string[], field: string, entry: RendezvousEntry, ttlMs: number): Promise<RendezvousEntry[][]> {
    const res = (await this.redis.eval(EXCHANGE, keys.length, ...keys, Date.now(), ttlMs, field, JSON.stringify(entry), MAX_PER_POINT)) as string[][];
    return res.map((list) => list.map((raw) => JSON.parse(raw) as RendezvousEntry));
  }
}
