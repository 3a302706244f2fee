import { Redis } from 'ioredis';
import { beforeAll, inject } from 'vitest';

// Test files run one at a time against the shared private NATS/Redis (vitest.config.ts), and
// each stops what it started. Flushing Redis before a file means no key, relay entry or
// presence record from an earlier file can leak into this one's assertions.
beforeAll(async () => {
  const redis = new Redis(inject('redisUrl'), { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  await redis.flushall();
  await redis.quit();
});
