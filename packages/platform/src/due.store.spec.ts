import { createRedis } from './redis.js';
import { afterAll, describe } from 'vitest';
import { slot } from '@switchboard/testing/slot';
import { dueStoreCases } from './testing/due.store.cases.test.js';

/** Real Redis (this worker's private one, running the Lua scripts); set names are unique per test. */
describe('DueStore on Redis (at least once, with a lease)', () => {
  const redis = createRedis(slot().redisUrl);
  afterAll(() => redis.quit());
  dueStoreCases(() => redis);
});
