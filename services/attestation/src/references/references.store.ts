import { createHash } from 'node:crypto';
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { CONFIG } from '@switchboard/platform';
import { badRequest, tooLarge } from '@switchboard/protocol';
import pg from 'pg';
import type { AttestationConfig } from '../config.js';

export interface ReferenceRow {
  platform: string;
  version: string;
  size: number;
  sha256: string;
  uploadedAt: Date;
}

/** Bytes written to the large object per round trip. */
const WRITE_BATCH = 1024 * 1024;

/**
 * Reference binaries: metadata rows plus the bytes as Postgres large objects
 * (docs/decisions/0014). An upload is one transaction: the large object, the row and the
 * unlinking of a replaced object commit together, and a refused or broken upload rolls back,
 * leaving nothing behind. Uses node-postgres directly because Prisma cannot stream large objects.
 */
@Injectable()
export class ReferencesStore implements OnApplicationShutdown {
  private readonly pool: pg.Pool;

  constructor(@Inject(CONFIG) config: AttestationConfig) {
    const url = new URL(config.DATABASE_URL);
    url.searchParams.delete('schema');
    this.pool = new pg.Pool({ connectionString: url.toString(), max: 4 });
  }

  /** Streams `chunks` into a new large object; over `maxBytes` → too_large, empty → bad_request, and nothing is stored. */
  async save(platform: string, version: string, chunks: AsyncIterable<Uint8Array>, maxBytes: number): Promise<{ row: ReferenceRow; replaced: boolean }> {
    const client = await this.pool.connect();
    let broken = false;
    try {
      await client.query('BEGIN');
      const oid = Number((await client.query<{ oid: string }>('SELECT lo_create(0)::bigint AS oid')).rows[0]!.oid);
      const hash = createHash('sha256');
      let size = 0;
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      const flush = async () => {
        if (!pendingBytes) return;
        const data = Buffer.concat(pending, pendingBytes);
        await client.query('SELECT lo_put($1::bigint::oid, $2::bigint, $3::bytea)', [oid, size - pendingBytes, data]);
        pending = [];
        pendingBytes = 0;
      };
      for await (const chunk of chunks) {
        size += chunk.length;
        if (size > maxBytes) throw tooLarge(`reference binaries are limited to ${maxBytes} bytes`);
        hash.update(chunk);
        pending.push(Buffer.from(chunk));
        pendingBytes += chunk.length;
        if (pendingBytes >= WRITE_BATCH) await flush();
      }
      if (size === 0) throw badRequest('a reference binary must not be empty');
      await flush();
      const sha256 = hash.digest('hex');
      const uploadedAt = new Date();
      const old = await client.query<{ lo_oid: string }>('SELECT lo_oid FROM reference_binaries WHERE platform = $1 AND version = $2 FOR UPDATE', [platform, version]);
      if (old.rows[0]) await client.query('SELECT lo_unlink($1::bigint::oid)', [old.rows[0].lo_oid]);
      await client.query(
        `INSERT INTO reference_binaries (platform, version, lo_oid, size, sha256, uploaded_at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (platform, version) DO UPDATE SET lo_oid = EXCLUDED.lo_oid, size = EXCLUDED.size, sha256 = EXCLUDED.sha256, uploaded_at = EXCLUDED.uploaded_at`,
        [platform, version, oid, size, sha256, uploadedAt],
      );
      await client.query('COMMIT');
      return { row: { platform, version, size, sha256, uploadedAt }, replaced: old.rows.length > 0 };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      throw err;
    } finally {
      client.release(broken);
    }
  }

  async get(platform: string, version: string): Promise<ReferenceRow | null> {
    const r = await this.pool.query('SELECT platform, version, size, sha256, uploaded_at FROM reference_binaries WHERE platform = $1 AND version = $2', [platform, version]);
    return r.rows[0] ? toRow(r.rows[0]) : null;
  }

  async list(platform: string | undefined, limit: number): Promise<ReferenceRow[]> {
    const r = await this.pool.query(
      'SELECT platform, version, size, sha256, uploaded_at FROM reference_binaries WHERE ($1::text IS NULL OR platform = $1) ORDER BY platform, uploaded_at DESC LIMIT $2',
      [platform ?? null, limit],
    );
    return r.rows.map(toRow);
  }

  /** The bytes of each range, in order (null when the reference is gone). Ranges must lie inside the object. */
  async readRanges(platform: string, version: string, ranges: { offset: number; length: number }[]): Promise<Buffer[] | null> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN READ ONLY');
      const ref = await client.query<{ lo_oid: string }>('SELECT lo_oid FROM reference_binaries WHERE platform = $1 AND version = $2', [platform, version]);
      if (!ref.rows[0]) return null;
      const out: Buffer[] = [];
      for (const r of ranges) out.push((await client.query<{ b: Buffer }>('SELECT lo_get($1::bigint::oid, $2::bigint, $3::int) AS b', [ref.rows[0].lo_oid, r.offset, r.length])).rows[0]!.b);
      return out;
    } finally {
      await client.query('COMMIT').catch(() => undefined);
      client.release();
    }
  }

  async delete(platform: string, version: string): Promise<boolean> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const r = await client.query<{ lo_oid: string }>('DELETE FROM reference_binaries WHERE platform = $1 AND version = $2 RETURNING lo_oid', [platform, version]);
      if (r.rows[0]) await client.query('SELECT lo_unlink($1::bigint::oid)', [r.rows[0].lo_oid]);
      await client.query('COMMIT');
      return r.rows.length > 0;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async onApplicationShutdown() {
    await this.pool.end();
  }
}

const toRow = (r: { platform: string; version: string; size: string; sha256: string; uploaded_at: Date }): ReferenceRow => ({
  platform: r.platform,
  version: r.version,
  size: Number(r.size),
  sha256: r.sha256,
  uploadedAt: r.uploaded_at,
});
