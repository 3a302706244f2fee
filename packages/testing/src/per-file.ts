import { createRedis, redisMasters } from '@switchboard/platform';
import { afterAll, beforeAll } from 'vitest';
import { natsViolationsSince } from './infra.js';
import { slot } from './slot.js';

// Test files run one at a time against the shared private NATS/Redis (vitest.config.ts), and
// each stops what it started. Flushing Redis before a file means no key, relay entry or
// presence record from an earlier file can leak into this one's assertions.
beforeAll(async () => {
  // On a Redis Cluster every master holds a part of the keys: each is flushed.
  const redis = createRedis(slot().redisUrl);
  await redis.ping();
  await Promise.all(redisMasters(redis).map((node) => node.flushall()));
  await redis.quit();
});

// Every NATS user is held to its subject permissions (nats-permissions.ts). A Permissions
// Violation in the server log while this file ran is a bug (a missing table entry, or code
// acting outside its role): the file fails. Registered first, so it runs after the file's own
// afterAll hooks have stopped what it started.
let natsLogFrom = 0;
beforeAll(() => {
  natsLogFrom = natsViolationsSince(slot().natsLogFile, 0).size;
});
// The file's own hooks drained its NATS connections (the server has processed, and logged,
// everything they sent) before this runs.
afterAll(() => {
  const { lines } = natsViolationsSince(slot().natsLogFile, natsLogFrom);
  if (lines.length) throw new Error(`NATS permission violations during this file:\n${lines.slice(0, 20).join('\n')}`);
});
