import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { slot } from '@switchboard/testing/slot';
import type { Logger } from '@switchboard/platform';
import { SQL_PREPARED_MAX, SqlPool } from './sql.pool.js';

const logger = { warn: () => undefined } as unknown as Logger;

/** Real Postgres (this worker's rooms database). */
describe('SqlPool: hot statements as named (prepared) statements (ADR 0073)', () => {
  const pool = new SqlPool({ DATABASE_URL: slot().roomsDatabaseUrl }, new Registry(), logger);
  afterAll(() => pool.onApplicationShutdown());

  it('prepares each statement text once and runs it again with new values on every connection', async () => {
    const before = pool.prepared;
    // More in flight than the pool has connections: every connection prepares its own copy under the same name.
    const rows = await Promise.all(Array.from({ length: 12 }, (_, i) => pool.rows<{ n: number }>('test.echo', 'SELECT $1::int + 1 AS n', [i])));
    expect(rows.map(([r]) => r!.n)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(pool.prepared).toBe(before + 1);
    // The same text is the same statement; another text is another one.
    await pool.rows('test.echo', 'SELECT $1::int + 1 AS n', [5]);
    expect(pool.prepared).toBe(before + 1);
    expect(await pool.rows('test.other', 'SELECT $1::text AS s', ['x'])).toEqual([{ s: 'x' }]);
    expect(pool.prepared).toBe(before + 2);
  });

  it(`prepares at most ${SQL_PREPARED_MAX} texts; any beyond run unnamed and still answer`, async () => {
    for (let i = pool.prepared; i < SQL_PREPARED_MAX + 5; i++) {
      const [row] = await pool.rows<{ n: number }>('test.many', `SELECT ${i}::int AS n`, []);
      expect(row!.n).toBe(i);
    }
    expect(pool.prepared).toBe(SQL_PREPARED_MAX);
  });

  it('a failing statement rejects with the database error and leaves the pool usable', async () => {
    await expect(pool.rows('test.bad', 'SELECT $1::int AS n', ['not a number'])).rejects.toMatchObject({ code: '22P02' });
    expect(await pool.rows('test.echo', 'SELECT $1::int + 1 AS n', [1])).toEqual([{ n: 2 }]);
  });
});
