import { Injectable } from '@nestjs/common';
import { Redis } from '@switchboard/platform';

/** Set while a room keeps its broadcasts for resume (mirrors rooms.replay_ephemeral for the hot path). */
const replayKey = (roomId: string) => `sb:room:${roomId}:replay_ephemeral`;
/** Rooms a user created in one hour-long window. */
const createdKey = (userId: string, window: number) => `sb:rooms:created:${userId}:${window}`;
const HOUR_MS = 3_600_000;

/**
 * Room settings the hot ephemeral verbs read without Postgres, and the per-user creation
 * counter; both in Redis.
 */
@Injectable()
export class RoomFlagsStore {
  constructor(private readonly redis: Redis) {}

  async setReplayEphemeral(roomId: string, on: boolean): Promise<void> {
    if (on) await this.redis.set(replayKey(roomId), '1');
    else await this.redis.del(replayKey(roomId));
  }

  async replaysEphemeral(roomId: string): Promise<boolean> {
    return (await this.redis.exists(replayKey(roomId))) === 1;
  }

  /** Counts one creation by the user in the current hour; returns the count and when the hour ends. */
  async countCreation(userId: string, now = Date.now()): Promise<{ count: number; resetsInMs: number }> {
    const window = Math.floor(now / HOUR_MS);
    const key = createdKey(userId, window);
    const [[, count]] = (await this.redis.multi().incr(key).pexpire(key, HOUR_MS).exec()) as [[unknown, number], unknown];
    return { count, resetsInMs: (window + 1) * HOUR_MS - now };
  }
}
