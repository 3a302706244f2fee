import { Injectable } from '@nestjs/common';
import { Redis } from '@switchboard/platform';

export interface PendingChallenge {
  deviceId: string;
  ranges: { offset: number; length: number }[];
  expiresAt: number;
}

const nonceKey = (nonce: string) => `sb:att:nonce:${nonce}`;
const countKey = (deviceId: string) => `sb:att:challenges:${deviceId}`;

/**
 * Outstanding challenge nonces in Redis (docs/decisions/0013): each expires with its
 * challenge, and GETDEL makes answering one atomic and single-use across replicas.
 */
@Injectable()
export class ChallengesStore {
  constructor(private readonly redis: Redis) {}

  async put(nonce: string, challenge: PendingChallenge, ttlMs: number): Promise<void> {
    await this.redis.set(nonceKey(nonce), JSON.stringify(challenge), 'PX', ttlMs);
  }

  /** Removes and returns the challenge: a second call for the same nonce gets null. */
  async take(nonce: string): Promise<PendingChallenge | null> {
    const raw = await this.redis.getdel(nonceKey(nonce));
    return raw ? (JSON.parse(raw) as PendingChallenge) : null;
  }

  /** Counts a challenge of a device in the current window; returns the count. */
  async count(deviceId: string, windowMs: number): Promise<number> {
    const [[, n]] = (await this.redis.multi().incr(countKey(deviceId)).pexpire(countKey(deviceId), windowMs, 'NX').exec()) as [[unknown, number]];
    return n;
  }
}
