import { Injectable } from '@nestjs/common';
import { Redis } from '@switchboard/platform';

export interface ServerRow {
  nodeId: string;
  endpoint: string;
  region: string;
  publicKey: string;
  registeredAt: number;
  lastSeen: number;
}

// One hash tag: the entries and their last-seen index change together in MULTIs (docs/decisions/0031).
const ENTRIES = 'sb:{att:servers}';
const SEEN = 'sb:{att:servers}:seen';

/** The gateway registry in Redis: entries by node id, last heartbeat in a sorted set for expiry. */
@Injectable()
export class ServersStore {
  constructor(private readonly redis: Redis) {}

  /** Stores the entry unless the registry is full with others; returns false when full. */
  async upsert(row: ServerRow, max: number): Promise<boolean> {
    const known = await this.redis.zscore(SEEN, row.nodeId);
    if (known === null && (await this.redis.zcard(SEEN)) >= max) return false;
    const prev = await this.redis.hget(ENTRIES, row.nodeId);
    const registeredAt = prev ? (JSON.parse(prev) as ServerRow).registeredAt : row.registeredAt;
    await this.redis.multi().hset(ENTRIES, row.nodeId, JSON.stringify({ ...row, registeredAt })).zadd(SEEN, row.lastSeen, row.nodeId).exec();
    return true;
  }

  async remove(nodeId: string): Promise<boolean> {
    const [[, n]] = (await this.redis.multi().zrem(SEEN, nodeId).hdel(ENTRIES, nodeId).exec()) as [[unknown, number]];
    return n > 0;
  }

  /** Live entries (heartbeat at or after `since`); older ones are deleted on the way. */
  async live(since: number): Promise<ServerRow[]> {
    const stale = await this.redis.zrangebyscore(SEEN, '-inf', `(${since}`);
    if (stale.length) await this.redis.multi().zrem(SEEN, ...stale).hdel(ENTRIES, ...stale).exec();
    const ids = await this.redis.zrangebyscore(SEEN, since, '+inf');
    if (!ids.length) return [];
    const raw = await this.redis.hmget(ENTRIES, ...ids);
    return raw.filter((r): r is string => r !== null).map((r) => JSON.parse(r) as ServerRow);
  }
}
