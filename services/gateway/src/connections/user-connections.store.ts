import { Injectable } from '@nestjs/common';
import { Redis } from '@switchboard/platform';

/** Sorted set per user: connectionId → lease end (ms), across every gateway replica. */
const userKey = (userId: string) => `sb:gw:{user:${userId}}:conns`;

/**
 * Takes a slot unless the user already holds `max` live ones. Lapsed leases (their gateway
 * died without a word) are pruned first, so a crash frees its slots after one lease.
 * KEYS[1]=user set ARGV: now, connectionId, leaseUntil, max, keyTtlMs
 */
const TAKE_SCRIPT = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
`;

/**
 * The cap on connections per user (MAX_CONNECTIONS_PER_USER), shared by all gateways in
 * Redis. Each slot is a lease the holding gateway refreshes with its heartbeat.
 */
@Injectable()
export class UserConnectionsStore {
  constructor(private readonly redis: Redis) {}

  async take(userId: string, connectionId: string, max: number, leaseMs: number): Promise<boolean> {
    const now = Date.now();
    return ((await this.redis.eval(TAKE_SCRIPT, 1, userKey(userId), now, connectionId, now + leaseMs, max, leaseMs)) as number) === 1;
  }

  async release(userId: string, connectionId: string): Promise<void> {
    await this.redis.zrem(userKey(userId), connectionId);
  }

  /** Extends the leases of this replica's live connections (only those still held: XX). */
  async refresh(conns: { userId: string; connectionId: string }[], leaseMs: number): Promise<void> {
    if (!conns.length) return;
    const until = Date.now() + leaseMs;
    // Users live in different slots of a Redis Cluster: two commands per connection, all sent
    // together (auto-pipelined). No MULTI around them (it doubled the commands): each is
    // idempotent and the next heartbeat repeats both, well inside the lease (3 heartbeats).
    await Promise.all(conns.flatMap((c) => [this.redis.zadd(userKey(c.userId), 'XX', until, c.connectionId), this.redis.pexpire(userKey(c.userId), leaseMs)]));
  }
}
