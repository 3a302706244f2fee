import { Inject, Injectable, Optional } from '@nestjs/common';
import { Redis } from 'ioredis';
import { CONFIG } from './platform.js';

/** How long a claimed entry stays with its claimer when the service's config has no SWEEP_LEASE_MS. */
export const DEFAULT_SWEEP_LEASE_MS = 30_000;

/**
 * Leases every member whose due time has passed: its score moves to the lease's end, so no
 * other replica sees it as due until then, and it stays in the set until the claimer completes
 * it. A claimer that dies mid-sweep leaves it to be claimed again when the lease runs out.
 * KEYS[1]=set ARGV: now, limit, leaseUntil
 */
const CLAIM_SCRIPT = `
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for i = 1, #due do redis.call('ZADD', KEYS[1], ARGV[3], due[i]) end
return due
`;

/**
 * Removes a member only while it still carries this claim's lease: a member scheduled again
 * while it was being handled (a new due time) stays.
 * KEYS[1]=set ARGV: member, leaseUntil
 */
const COMPLETE_SCRIPT = `
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if score and tonumber(score) == tonumber(ARGV[2]) then return redis.call('ZREM', KEYS[1], ARGV[1]) end
return 0
`;

/** One claimed member and the lease it holds (the score it was moved to). */
export interface DueClaim {
  member: string;
  leaseUntil: number;
}

export interface ClaimOptions {
  now?: number;
  limit?: number;
}

/**
 * Timers kept in Redis sorted sets (score = due time in ms), so they survive any replica.
 * Handling is at least once: a claim is a lease (SWEEP_LEASE_MS), and an entry leaves the set
 * only after its handler succeeded, so handlers must be idempotent.
 */
@Injectable()
export class DueStore {
  readonly leaseMs: number;

  constructor(
    private readonly redis: Redis,
    @Optional() @Inject(CONFIG) config?: { SWEEP_LEASE_MS?: number },
  ) {
    this.leaseMs = config?.SWEEP_LEASE_MS ?? DEFAULT_SWEEP_LEASE_MS;
  }

  async schedule(set: string, member: string, dueAt: number): Promise<void> {
    await this.redis.zadd(set, dueAt, member);
  }

  async cancel(set: string, member: string): Promise<void> {
    await this.redis.zrem(set, member);
  }

  /** Leases up to `limit` due members; each must be completed, or it is due again after the lease. */
  async claimDue(set: string, { now = Date.now(), limit = 100 }: ClaimOptions = {}): Promise<DueClaim[]> {
    // A fraction of a millisecond makes each claim's lease its own, so complete() can tell it
    // from a due time set while the member was being handled.
    const leaseUntil = now + this.leaseMs + Math.random() / 2;
    const members = (await this.redis.eval(CLAIM_SCRIPT, 1, set, now, limit, leaseUntil)) as string[];
    return members.map((member) => ({ member, leaseUntil }));
  }

  /** Ends a claim: the member leaves the set unless it was scheduled again meanwhile. */
  async complete(set: string, claim: DueClaim): Promise<boolean> {
    return ((await this.redis.eval(COMPLETE_SCRIPT, 1, set, claim.member, claim.leaseUntil)) as number) === 1;
  }

  /**
   * Claims the due members and hands each to `handle`, completing those it handled. One that
   * throws stays leased and is retried after the lease; the first error is rethrown at the end
   * (after the others were handled), so the Sweeper logs it.
   */
  async sweep(set: string, handle: (member: string) => Promise<unknown>, opts: ClaimOptions = {}): Promise<number> {
    let failure: unknown;
    let handled = 0;
    for (const claim of await this.claimDue(set, opts)) {
      try {
        await handle(claim.member);
        await this.complete(set, claim);
        handled++;
      } catch (err) {
        failure ??= err;
      }
    }
    if (failure) throw failure;
    return handled;
  }
}
