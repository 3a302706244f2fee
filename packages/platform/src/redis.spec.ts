import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { slot } from '../../../test/support/slot.js';
import { createRedis } from './redis.js';

/** Real Redis (this worker's private one); keys are unique per run. */
describe('createRedis', () => {
  const redis = createRedis(slot().redisUrl, pino({ level: 'silent' }), 'redis-spec');
  afterAll(() => redis.quit());
  const key = `sb:test:pipeline:${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

  it('sends the commands of one tick as one write, in order (auto-pipelining)', async () => {
    await redis.ping(); // connected, so `stream` is the socket
    const stream = (redis as unknown as { stream: { write: (...a: unknown[]) => boolean } }).stream;
    const write = stream.write.bind(stream);
    let writes = 0;
    stream.write = (...a: unknown[]) => {
      writes++;
      return write(...a);
    };
    try {
      const replies = await Promise.all([redis.set(key, 'a'), redis.append(key, 'b'), ...Array.from({ length: 10 }, () => redis.get(key)), redis.del(key)]);
      expect(replies.slice(0, 2)).toEqual(['OK', 2]);
      expect(new Set(replies.slice(2, 12))).toEqual(new Set(['ab'])); // every GET saw both writes before it
      expect(replies[12]).toBe(1);
      expect(writes).toBeLessThan(3); // one write per command would be 13
    } finally {
      stream.write = write;
    }
  });
});
