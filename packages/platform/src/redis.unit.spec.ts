import { describe, expect, it } from 'vitest';
import { redisClusterNodes } from './redis.js';

describe('redisClusterNodes (REDIS_URL parsing)', () => {
  it('is undefined for a standalone redis:// URL', () => {
    expect(redisClusterNodes('redis://127.0.0.1:6379')).toBeUndefined();
  });

  it('lists the seed nodes of redis+cluster://, trimming spaces and empty entries', () => {
    expect(redisClusterNodes('redis+cluster://10.0.0.1:7000, redis-b:7001,,')).toEqual([
      { host: '10.0.0.1', port: 7000 },
      { host: 'redis-b', port: 7001 },
    ]);
  });

  it('refuses a node without a port and a URL without nodes', () => {
    expect(() => redisClusterNodes('redis+cluster://10.0.0.1:7000,redis-b')).toThrow('invalid Redis Cluster node "redis-b" (host:port expected)');
    expect(() => redisClusterNodes('redis+cluster:// , ')).toThrow('needs at least one host:port');
  });
});
