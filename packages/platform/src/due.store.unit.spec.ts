import { describe } from 'vitest';
import { dueStoreCases } from './testing/due.store.cases.test.js';
import { MemoryRedis } from './testing/memory-redis.test.js';

/** The same cases as due.store.spec.ts, against the in-memory fake (unit tier). */
describe('DueStore on the in-memory fake (at least once, with a lease)', () => {
  const redis = new MemoryRedis().asRedis();
  dueStoreCases(() => redis);
});
