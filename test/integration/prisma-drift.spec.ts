import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/infra.js';
import { prismaDrift } from '../support/prisma-drift.js';
import { slot } from '../support/slot.js';

const schemaOf = (service: string) => join(ROOT, `services/${service}/prisma/schema.prisma`);

describe('database migrations', () => {
  it('rooms: produce exactly the schema the Prisma models describe (no drift)', async () => {
    expect(await prismaDrift(schemaOf('rooms'), slot().roomsDatabaseUrl)).toEqual([]);
  });

  it('media: produce exactly the schema the Prisma models describe (no drift)', async () => {
    expect(await prismaDrift(schemaOf('media'), slot().mediaDatabaseUrl)).toEqual([]);
  });

  it('attestation: produce exactly the schema the Prisma models describe (no drift)', async () => {
    expect(await prismaDrift(schemaOf('attestation'), slot().attestationDatabaseUrl)).toEqual([]);
  });

  it('the drift check notices a column that the models do not have', async () => {
    const url = slot().roomsDatabaseUrl;
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const table = `drift_probe_${process.pid}`;
    try {
      await client.query(`ALTER TABLE rooms ADD COLUMN ${table} TEXT`);
      expect(await prismaDrift(schemaOf('rooms'), url)).toContain(`rooms.${table} exists in the database but not in model Room`);
    } finally {
      await client.query(`ALTER TABLE rooms DROP COLUMN IF EXISTS ${table}`);
      await client.end();
    }
  });
});
