import { Injectable } from '@nestjs/common';
import { Redis } from '@switchboard/platform';

/** Set while a room keeps its broadcasts for resume (mirrors rooms.replay_ephemeral for the hot path). */
const replayKey = (roomId: string) => `sb:{room:${roomId}}:replay_ephemeral`;

/** Room settings the hot ephemeral verbs read without Postgres, in Redis. */
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
}
