import { Injectable } from '@nestjs/common';
import { Redis } from '@switchboard/platform';

export interface RelayEntry {
  connectionId: string;
  userId: string;
  capacity: number;
  connected: number;
  publicKey?: string;
  registeredAt: number;
}

/**
 *   sb:{pr}:relays  HASH connectionId → RelayEntry JSON. Entries are tied to a live connection:
 *                 removed when it is gone, and skipped (then removed) by readers if a
 *                 cleanup was missed.
 */
const RELAYS = 'sb:{pr}:relays';

/** Updates `connected` only if the relay exists. KEYS: relays  ARGV: id, connected. */
const UPDATE_LOAD = `
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return 0 end
local e = cjson.decode(raw)
e.connected = tonumber(ARGV[2])
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(e))
return 1
`;

@Injectable()
export class RelaysStore {
  constructor(private readonly redis: Redis) {}

  async put(e: RelayEntry): Promise<void> {
    await this.redis.hset(RELAYS, e.connectionId, JSON.stringify(e));
  }

  async updateLoad(connectionId: string, connected: number): Promise<boolean> {
    return (await this.redis.eval(UPDATE_LOAD, 1, RELAYS, connectionId, connected)) === 1;
  }

  async remove(...connectionIds: string[]): Promise<number> {
    return connectionIds.length ? this.redis.hdel(RELAYS, ...connectionIds) : 0;
  }

  async all(): Promise<RelayEntry[]> {
    return (await this.redis.hvals(RELAYS)).map((raw) => JSON.parse(raw) as RelayEntry);
  }
}
