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

  it('runs eval by SHA and sends the script body only when Redis does not have it (NOSCRIPT)', async () => {
    const calls = async () => {
      const info = await redis.info('commandstats');
      const n = (cmd: string) => Number(new RegExp(`cmdstat_${cmd}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
      return { eval: n('eval'), evalsha: n('evalsha') };
    };
    // A body no other test uses, so this client has never sent it.
    const script = `return {KEYS[1], ARGV[1], '${key}'}`;
    const before = await calls();
    expect(await redis.eval(script, 1, `${key}:k`, 'v')).toEqual([`${key}:k`, 'v', key]);
    expect(await redis.eval(script, 1, `${key}:k`, 'w')).toEqual([`${key}:k`, 'w', key]);
    let after = await calls();
    expect(after.evalsha - before.evalsha).toBe(2);
    expect(after.eval - before.eval).toBe(1); // the first call's NOSCRIPT loaded it
    // A restarted or failed-over Redis has lost its scripts: the next call loads it again.
    await redis.script('FLUSH');
    expect(await redis.eval(script, 1, `${key}:k`, 'x')).toEqual([`${key}:k`, 'x', key]);
    after = await calls();
    expect(after.eval - before.eval).toBe(2);
    // Script errors are still the caller's, not retried.
    await expect(redis.eval('return redis.call("NOPE")', 0)).rejects.toThrow(/Unknown Redis command|unknown command/i);
  });
});
