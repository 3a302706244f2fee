import { Injectable } from '@nestjs/common';
import { Redis } from 'ioredis';

/**
 * Takes every member whose due time has passed out of a sorted set, atomically, so when
 * several replicas sweep at once each entry is handled by exactly one of them.
 * KEYS[1]=set ARGV: now, limit
 */
const CLAIM_SCRIPT = `
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for i = 1, #due do redis.call('ZREM', KEYS[1], due[i]) end
return due
`;

/** Timers kept in Redis sorted sets (score = due time in ms), so they survive any replica. */
@Injectable()
export class DueStore {
  constructor(private readonly redis: Redis) {}

  async schedule(set: string, member: string, dueAt: number): Promise<void> {
    await this.redis.zadd(set, dueAt, member);
  }

  async cancel(set: string, member: string): Promise<void> {
    await this.redis.zrem(set, member);
  }

  async claimDue(set: string, now = Date.now(), limit = 100): Promise<string[]> {
    return (await this.redis.eval(CLAIM_SCRIPT, 1, set, now, limit)) as string[];
  }
}
