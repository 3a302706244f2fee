// Tests for the local infrastructure helper. The ensureInfra test talks to the
// real PostgreSQL, Redis and NATS on this machine (starting them if needed).

import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import {
  dropDatabase,
  checkNats,
  checkPostgres,
  checkRedis,
  ensureDatabase,
  ensureInfra,
  maintenanceUrl,
  parseNatsInfo,
  POSTGRES_SERVER_URL,
  quoteIdent,
} from './infra.mjs';

// Real INFO lines: NATS 2.9.10 started with -js, and the same server without it.
const INFO_JS =
  'INFO {"server_id":"NC3MUVG5KQVDE5YHRD6J5ZBVI3TQPEHLD7IB7LEOOMXWPHQGDH5OV2JO","server_name":"NC3MUVG5KQVDE5YHRD6J5ZBVI3TQPEHLD7IB7LEOOMXWPHQGDH5OV2JO",' +
  '"version":"2.9.10","proto":1,"go":"go1.19.8","host":"127.0.0.1","port":4222,"headers":true,"max_payload":1048576,"jetstream":true,' +
  '"client_id":7,"client_ip":"127.0.0.1"} \r\n';
const INFO_NO_JS =
  'INFO {"server_id":"NDXQ4ZP3C7C2XV7E5QW5R4B6M3Z2G4K2QK5HQZ3XH5W7ZL2T3Y4U5V6W","server_name":"NDXQ4ZP3C7C2XV7E5QW5R4B6M3Z2G4K2QK5HQZ3XH5W7ZL2T3Y4U5V6W",' +
  '"version":"2.9.10","proto":1,"go":"go1.19.8","host":"127.0.0.1","port":4223,"headers":true,"max_payload":1048576,"client_id":3,"client_ip":"127.0.0.1"} ';

describe('parseNatsInfo', () => {
  it('detects JetStream in an INFO line', () => {
    const r = parseNatsInfo(INFO_JS);
    expect(r).not.toBeNull();
    expect(r.jetstream).toBe(true);
    expect(r.info.version).toBe('2.9.10');
    expect(r.info.port).toBe(4222);
  });

  it('reports no JetStream when the field is absent or false', () => {
    expect(parseNatsInfo(INFO_NO_JS)).toMatchObject({ jetstream: false, info: { version: '2.9.10' } });
    expect(parseNatsInfo('INFO {"version":"2.10.0","jetstream":false}')).toMatchObject({ jetstream: false });
    // Only the boolean true counts.
    expect(parseNatsInfo('INFO {"jetstream":"true"}')).toMatchObject({ jetstream: false });
  });

  it('rejects lines that are not NATS INFO', () => {
    expect(parseNatsInfo('+PONG')).toBeNull();
    expect(parseNatsInfo('-ERR \'Authorization Violation\'')).toBeNull();
    expect(parseNatsInfo('INFO not-json')).toBeNull();
    expect(parseNatsInfo('INFO []')).toBeNull();
    expect(parseNatsInfo('')).toBeNull();
    expect(parseNatsInfo(undefined)).toBeNull();
  });
});

describe('ensureInfra on this machine', () => {
  it('reports postgres, redis and nats (JetStream) up', async () => {
    const lines = [];
    const results = await ensureInfra({ log: (l) => lines.push(l) });
    expect(Object.keys(results)).toEqual(['postgres', 'redis', 'nats']);
    for (const r of Object.values(results)) expect(r.ok).toBe(true);
    // three servers, then the tools (promtool and prometheus from the Debian package prometheus; opusenc & co. from opus-tools)
    expect(lines).toHaveLength(5);
    expect(lines[3]).toMatch(/^prometheus ok \(\/\S+\/prometheus/);
    expect(lines[4]).toMatch(/^opus ok \(\/\S+\/opusenc/);
    expect(lines[0]).toMatch(/^postgres 127\.0\.0\.1:5432 ok \(/);
    expect(lines[1]).toMatch(/^redis 127\.0\.0\.1:6379 ok \(/);
    expect(lines[2]).toMatch(/^nats 127\.0\.0\.1:4222 ok \(/);

    // Idempotent: a second call finds everything already running.
    const again = [];
    await ensureInfra({ log: (l) => again.push(l) });
    expect(again).toEqual([
      'postgres 127.0.0.1:5432 ok (already running)',
      'redis 127.0.0.1:6379 ok (already running)',
      'nats 127.0.0.1:4222 ok (already running)',
      expect.stringMatching(/^prometheus ok \(/),
      expect.stringMatching(/^opus ok \(/),
    ]);
  }, 120_000);

  it('checks each service with a real protocol exchange', async () => {
    expect(await checkPostgres()).toMatchObject({ ok: true });
    expect(await checkRedis()).toMatchObject({ ok: true, detail: 'PING -> +PONG' });
    const nats = await checkNats();
    expect(nats.ok).toBe(true);
    expect(nats.detail).toMatch(/JetStream/);
  });

  it('reports a closed port as down without throwing', async () => {
    // Port 1 on loopback is never served here.
    expect(await checkRedis({ port: 1 })).toMatchObject({ ok: false, portOpen: false });
    expect(await checkNats({ port: 1 })).toMatchObject({ ok: false, portOpen: false });
    expect(await checkPostgres({ port: 1 })).toMatchObject({ ok: false, portOpen: false });
  });
});

describe('ensureDatabase', () => {
  it('creates a missing database once, and is safe to call concurrently', async () => {
    const name = `sb_infra_test_${randomBytes(5).toString('hex')}`;
    const url = `${POSTGRES_SERVER_URL}/${name}?schema=custom`;
    try {
      const results = await Promise.all([ensureDatabase(url), ensureDatabase(url), ensureDatabase(url)]);
      expect(results.every((r) => r.database === name)).toBe(true);
      expect(results.filter((r) => r.created).length).toBeLessThanOrEqual(1);
      expect(await ensureDatabase(url)).toEqual({ database: name, created: false });
      const c = new pg.Client({ connectionString: `${POSTGRES_SERVER_URL}/${name}` });
      await c.connect();
      expect((await c.query('SELECT current_database() AS db')).rows[0].db).toBe(name);
      await c.end();
      // dropDatabase removes it (created anew below proves it was gone) and tolerates a second call.
      await dropDatabase(url);
      await dropDatabase(url);
      expect(await ensureDatabase(url)).toEqual({ database: name, created: true });
    } finally {
      await dropDatabase(url);
    }
  });

  it('derives the maintenance URL from a Prisma URL', () => {
    expect(maintenanceUrl('postgresql://u:p@h:5433/app%2Dx?schema=s&sslmode=disable')).toEqual({
      database: 'app-x',
      adminUrl: 'postgresql://u:p@h:5433/postgres?sslmode=disable',
    });
    expect(() => maintenanceUrl('postgresql://u@h:5432/')).toThrow(/names no database/);
    expect(quoteIdent('a"b')).toBe('"a""b"');
  });
});
