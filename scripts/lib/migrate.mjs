// Offline applier for Prisma migrations on PostgreSQL.
//
// It does what `prisma migrate deploy` does, without Prisma's schema engine
// binary: same migrations layout, same `_prisma_migrations` table and rows,
// same advisory lock, same refusal to go on past a failed migration (P3009).
// A database migrated by one can be migrated further by the other.
// See docs/decisions/0002-migrations.md.
//
// Only node built-ins and `pg` are used. Plain ESM, no build step.

import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';

/** The key Prisma Migrate uses for its session-level advisory lock on PostgreSQL. */
export const PRISMA_ADVISORY_LOCK_KEY = 72707369;
export const MIGRATIONS_TABLE = '_prisma_migrations';
export const MIGRATION_LOCK_FILE = 'migration_lock.toml';
export const MIGRATION_SCRIPT_FILE = 'migration.sql';
/** Prisma gives up after 10 s; we wait longer because a slow migration in another applier is normal. */
export const DEFAULT_LOCK_TIMEOUT_MS = 60_000;

/** Byte-for-byte the DDL of Prisma's schema engine (PostgreSQL flavour). */
export const CREATE_MIGRATIONS_TABLE_SQL = `CREATE TABLE _prisma_migrations (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             TIMESTAMPTZ,
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          TIMESTAMPTZ,
    started_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_steps_count     INTEGER NOT NULL DEFAULT 0
);
`;

// Tables Prisma ignores when deciding whether a schema is empty (PostGIS).
const IGNORED_TABLES = [/^spatial_ref_sys$/i, /^geometry_columns$/i];

const RESOLVE_HELP = 'Read more about how to resolve migration issues in a production database: https://pris.ly/d/migrate-resolve';

/** An error with Prisma's error code where Prisma has one (P3005, P3009, P3015, P3018, P3019, P1002). */
export class MigrateError extends Error {
  constructor(code, message, extra = {}) {
    super(message);
    this.name = 'MigrateError';
    this.code = code;
    Object.assign(this, extra);
  }
}

// ---------------------------------------------------------------------------
// Checksums (Prisma's schema-connector/src/checksum.rs)
// ---------------------------------------------------------------------------

function sha256(script) {
  return createHash('sha256').update(typeof script === 'string' ? Buffer.from(script, 'utf8') : script).digest();
}

/** Lowercase hex SHA-256 of a migration script (a string is hashed as UTF-8). 64 characters. */
export function migrationChecksum(script) {
  return sha256(script).toString('hex');
}

/** The non-zero-padded hex rendering older Prisma versions stored (prisma-engines#1887). */
function legacyChecksum(digest) {
  return Array.from(digest, (b) => b.toString(16)).join('');
}

/**
 * Whether a script matches a checksum stored in `_prisma_migrations`, the way
 * Prisma decides it: ignoring LF vs CRLF line endings, and accepting the
 * legacy unpadded hex format.
 */
export function checksumMatches(script, checksum) {
  const text = typeof script === 'string' ? script : Buffer.from(script).toString('utf8');
  const variants = [text, text.split('\r\n').join('\n'), text.split('\n').join('\r\n')];
  const legacy = checksum.length !== 0 && checksum.length !== 64;
  return variants.some((v) => {
    const d = sha256(v);
    return (legacy ? legacyChecksum(d) : d.toString('hex')) === checksum;
  });
}

// ---------------------------------------------------------------------------
// URLs
// ---------------------------------------------------------------------------

/** Quotes a PostgreSQL identifier. */
export function quoteIdent(name) {
  return `"${String(name).replace(/"/g, '""')}"`;
}

// Connection-string parameters Prisma understands and node-postgres does not.
const PRISMA_ONLY_PARAMS = ['schema', 'connection_limit', 'pool_timeout', 'pgbouncer', 'statement_cache_size', 'socket_timeout', 'connect_timeout'];

/**
 * Parses a Prisma-style PostgreSQL URL.
 * @returns {{ schema: string, database: string, host: string, port: number, clientConfig: import('pg').ClientConfig, display: string }}
 */
export function parseDatabaseUrl(databaseUrl) {
  if (!databaseUrl) throw new Error('no database URL given');
  let u;
  try {
    u = new URL(databaseUrl);
  } catch {
    throw new Error('the database URL is not a valid URL');
  }
  if (!/^postgres(ql)?:$/.test(u.protocol)) throw new Error(`not a PostgreSQL URL (scheme ${u.protocol})`);
  const schema = u.searchParams.get('schema') || 'public';
  const connectTimeout = Number(u.searchParams.get('connect_timeout'));
  for (const p of PRISMA_ONLY_PARAMS) u.searchParams.delete(p);
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  const clientConfig = { connectionString: u.toString(), application_name: 'switchboard-migrate' };
  if (connectTimeout > 0) clientConfig.connectionTimeoutMillis = connectTimeout * 1000;
  return {
    schema,
    database,
    host: u.hostname || 'localhost',
    port: Number(u.port) || 5432,
    clientConfig,
    // host and database only: no user or password in logs
    display: `${u.protocol}//${u.host}${u.pathname}${schema !== 'public' ? ` (schema ${schema})` : ''}`,
  };
}

// ---------------------------------------------------------------------------
// Migrations directory (Prisma's packages/migrate/src/utils/listMigrations.ts)
// ---------------------------------------------------------------------------

/**
 * Reads a Prisma migrations directory: every sub-directory is a migration,
 * ordered by name the way Prisma orders them (localeCompare).
 * @returns {Promise<{ lockfile: string|null, migrations: Array<{ name: string, file: string, script: string|null, error: Error|null }> }>}
 */
export async function readMigrationsDir(migrationsDir) {
  const lockfile = await fs.readFile(path.join(migrationsDir, MIGRATION_LOCK_FILE), 'utf8').catch(() => null);
  let entries = [];
  try {
    entries = await fs.readdir(migrationsDir, { withFileTypes: true });
  } catch (err) {
    if (err.code !== 'ENOENT') throw err;
  }
  const migrations = [];
  for (const entry of entries.filter((e) => e.isDirectory())) {
    const file = path.join(migrationsDir, entry.name, MIGRATION_SCRIPT_FILE);
    let script = null;
    let error = null;
    try {
      script = await fs.readFile(file, 'utf8');
    } catch (err) {
      error = err;
    }
    migrations.push({ name: entry.name, file, script, error });
  }
  migrations.sort((a, b) => a.name.localeCompare(b.name));
  return { lockfile, migrations };
}

/** The provider named in migration_lock.toml the way Prisma reads it, or null without a lock file. */
export function lockfileProvider(content) {
  if (content == null) return null;
  const line = content.split(/\r?\n/).find((l) => l.startsWith('provider'));
  if (!line) return '<PROVIDER NOT FOUND>';
  return line.replace(/^(provider = )+/, '').replace(/^"+|"+$/g, '');
}

function checkLockfile(lockfile) {
  const provider = lockfileProvider(lockfile);
  if (provider !== null && provider !== 'postgresql') {
    throw new MigrateError(
      'P3019',
      `The datasource provider \`postgresql\` specified in your schema does not match the one specified in the migration_lock.toml, \`${provider}\`. ` +
        'Please remove your current migration directory and start a new migration history with prisma migrate dev. Read more: https://pris.ly/d/migrate-provider-switch',
    );
  }
}

// ---------------------------------------------------------------------------
// Database side
// ---------------------------------------------------------------------------

async function connect(parsed) {
  const client = new pg.Client(parsed.clientConfig);
  client.on('error', () => {}); // a dropped connection surfaces through the pending query instead
  client.on('notice', () => {});
  await client.connect();
  return client;
}

async function schemaExists(client, schema) {
  const { rowCount } = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
  return rowCount > 0;
}

async function tableNames(client, schema) {
  const { rows } = await client.query(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind = 'r' AND n.nspname = $1`,
    [schema],
  );
  return rows.map((r) => r.name);
}

async function loadRows(client, schema) {
  const { rows } = await client.query(
    `SELECT id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count,
            to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || ' UTC' AS started_at_text
     FROM ${quoteIdent(schema)}.${MIGRATIONS_TABLE} ORDER BY started_at ASC`,
  );
  return rows;
}

async function acquireLock(client, parsed, lockTimeoutMs, log) {
  if (process.env.PRISMA_SCHEMA_DISABLE_ADVISORY_LOCK) {
    log('PRISMA_SCHEMA_DISABLE_ADVISORY_LOCK is set: not taking the advisory lock');
    return false;
  }
  const { rows } = await client.query('SHOW lock_timeout');
  const previous = rows[0].lock_timeout;
  await client.query(`SELECT set_config('lock_timeout', $1, false)`, [`${Math.max(1, Math.round(lockTimeoutMs))}ms`]);
  try {
    await client.query(`SELECT pg_advisory_lock(${PRISMA_ADVISORY_LOCK_KEY})`);
  } catch (err) {
    if (err.code === '55P03') {
      const at = `${parsed.host}:${parsed.port}`;
      throw new MigrateError(
        'P1002',
        `The database server at \`${at}\` was reached but timed out. Please try again.\n\n` +
          `Context: Timed out trying to acquire a postgres advisory lock (SELECT pg_advisory_lock(${PRISMA_ADVISORY_LOCK_KEY})). ` +
          `Timeout: ${lockTimeoutMs}ms. Another migration is probably running. See https://pris.ly/d/migrate-advisory-locking for details.`,
      );
    }
    throw err;
  } finally {
    await client.query(`SELECT set_config('lock_timeout', $1, false)`, [previous]).catch(() => {});
  }
  return true;
}

/** Prisma's FoundFailedMigrations (P3009) for rows with finished_at and rolled_back_at both NULL. */
function failedMigrationsError(rows) {
  const failed = rows.filter((r) => r.finished_at === null && r.rolled_back_at === null);
  if (!failed.length) return null;
  let details = '';
  for (const r of failed) {
    const logs = (r.logs || '').trim();
    details += `The \`${r.migration_name}\` migration started at ${r.started_at_text} failed${logs ? ` with the following logs:\n${logs}` : ''}\n`;
  }
  return new MigrateError(
    'P3009',
    `migrate found failed migrations in the target database, new migrations will not be applied. ${RESOLVE_HELP}\n${details}`,
    { failed: failed.map((r) => r.migration_name) },
  );
}

/** Applied rows whose migration.sql no longer matches the recorded checksum. */
function findModified(rows, migrations) {
  const byName = new Map(migrations.map((m) => [m.name, m]));
  const modified = [];
  for (const r of rows) {
    if (r.finished_at === null || r.rolled_back_at !== null) continue;
    const m = byName.get(r.migration_name);
    if (!m || m.script === null) continue;
    if (!checksumMatches(m.script, r.checksum)) {
      modified.push({ name: r.migration_name, recorded: r.checksum, current: migrationChecksum(m.script) });
    }
  }
  return modified;
}

function modifiedMigrationsError(modified) {
  if (!modified.length) return null;
  const lines = modified.map(
    (m) => `The migration \`${m.name}\` was modified after it was applied (checksum recorded ${m.recorded}, file now ${m.current}).`,
  );
  return new MigrateError(
    'MIGRATION_MODIFIED',
    `${lines.join('\n')}\nRefusing to apply migrations: restore the applied migration.sql from version control ` +
      'and put the change in a new migration instead.',
    { modified: modified.map((m) => m.name) },
  );
}

function missingScriptError(m) {
  return new MigrateError(
    'P3015',
    `Could not find the migration file at ${m.file}. Please delete the directory or restore the migration file.`,
  );
}

// Mirrors the Debug rendering of tokio-postgres' DbError, which Prisma stores in `logs`.
function debugDbError(err) {
  const opt = (v) => (v === undefined || v === null || v === '' ? 'None' : `Some(${JSON.stringify(String(v))})`);
  const parsedSeverity = { ERROR: 'Error', FATAL: 'Fatal', PANIC: 'Panic', WARNING: 'Warning', NOTICE: 'Notice', DEBUG: 'Debug', INFO: 'Info', LOG: 'Log' };
  const sev = err.severity || 'ERROR';
  const pos = err.position ? `Some(Original(${err.position}))` : err.internalPosition ? `Some(Internal { position: ${err.internalPosition}, query: ${JSON.stringify(err.internalQuery || '')} })` : 'None';
  return (
    `DbError { severity: ${JSON.stringify(sev)}, parsed_severity: ${parsedSeverity[sev] ? `Some(${parsedSeverity[sev]})` : 'None'}, ` +
    `code: SqlState(E${err.code}), message: ${JSON.stringify(err.message)}, detail: ${opt(err.detail)}, hint: ${opt(err.hint)}, ` +
    `position: ${pos}, where_: ${opt(err.where)}, schema: ${opt(err.schema)}, table: ${opt(err.table)}, column: ${opt(err.column)}, ` +
    `datatype: ${opt(err.dataType)}, constraint: ${opt(err.constraint)}, file: ${opt(err.file)}, line: ${err.line ? `Some(${err.line})` : 'None'}, ` +
    `routine: ${opt(err.routine)} }`
  );
}

function errorPosition(script, position) {
  const pos = Number(position);
  if (!pos) return '';
  const lines = script.split('\n');
  let index = 0;
  for (let i = 0; i < lines.length; i++) {
    index += lines[i].length + 1;
    if (pos <= index) {
      const from = Math.max(0, i - 5);
      const numbered = lines.slice(from, i).map((l, k) => `${String(from + k + 1).padStart(3)}${l ? ` ${l}` : ''}`);
      return `\n\nPosition:\n${[...numbered, `${String(i + 1).padStart(3)} ${lines[i]}`].join('\n')}`;
    }
  }
  return '';
}

/** Prisma's ApplyMigrationError (P3018) text, which it also stores in `logs`. */
export function formatApplyError(migrationName, script, err) {
  let code = 'none';
  let databaseError = String(err && err.message ? err.message : err);
  if (err && typeof err.code === 'string' && /^[0-9A-Z]{5}$/.test(err.code) && err.severity) {
    code = err.code;
    let text = `${err.severity}: ${err.message}`;
    if (err.detail) text += `\nDETAIL: ${err.detail}`;
    if (err.hint) text += `\nHINT: ${err.hint}`;
    databaseError = `${text}${errorPosition(script, err.position)}\n\n${debugDbError(err)}`;
  }
  return (
    `A migration failed to apply. New migrations cannot be applied before the error is recovered from. ${RESOLVE_HELP}\n\n` +
    `Migration name: ${migrationName}\n\nDatabase error code: ${code}\n\nDatabase error:\n${databaseError}\n`
  );
}

async function applyOne(client, schema, migration, log) {
  const table = `${quoteIdent(schema)}.${MIGRATIONS_TABLE}`;
  const id = randomUUID();
  const checksum = migrationChecksum(migration.script);
  log(`Applying migration \`${migration.name}\``);
  // Same sequence of writes as Prisma: row first (outside the script's transaction,
  // so a failure stays recorded), then the script, then the step count and finish time.
  await client.query(`INSERT INTO ${table} (id, checksum, started_at, migration_name) VALUES ($1, $2, clock_timestamp(), $3)`, [
    id,
    checksum,
    migration.name,
  ]);
  try {
    // No parameters: node-postgres sends the whole script as one simple-protocol
    // query, which PostgreSQL runs as one implicit transaction (all or nothing),
    // exactly like Prisma's schema engine does.
    await client.query(migration.script);
  } catch (err) {
    // A script with its own BEGIN may leave a failed transaction open.
    await client.query('ROLLBACK').catch(() => {});
    const logs = formatApplyError(migration.name, migration.script, err);
    await client.query(`UPDATE ${table} SET logs = $1 WHERE id = $2`, [logs, id]).catch(() => {});
    throw new MigrateError('P3018', logs, { migration: migration.name, cause: err });
  }
  await client.query(`UPDATE ${table} SET applied_steps_count = applied_steps_count + 1 WHERE id = $1`, [id]);
  await client.query(`UPDATE ${table} SET finished_at = clock_timestamp() WHERE id = $1`, [id]);
  return { id, checksum };
}

/**
 * Applies the unapplied migrations of a Prisma migrations directory, like
 * `prisma migrate deploy`.
 *
 * @param {object} opts
 * @param {string} opts.databaseUrl  postgresql://user@host:port/db[?schema=name]
 * @param {string} opts.migrationsDir  directory holding <timestamp>_<name>/migration.sql
 * @param {(line: string) => void} [opts.log]
 * @param {number} [opts.lockTimeoutMs=60000]  how long to wait for another applier's lock
 * @returns {Promise<{ applied: string[], alreadyApplied: string[], schema: string }>}
 * @throws {MigrateError} P3009 (failed migration present), MIGRATION_MODIFIED (applied
 *   migration edited), P3018 (a migration failed now), P3005 (schema not empty and not
 *   managed by Prisma), P3015 (migration.sql missing), P3019 (lock file provider), P1002 (lock timeout)
 */
export async function applyMigrations({ databaseUrl, migrationsDir, log = () => {}, lockTimeoutMs = DEFAULT_LOCK_TIMEOUT_MS }) {
  if (!migrationsDir) throw new Error('migrationsDir is required');
  const parsed = parseDatabaseUrl(databaseUrl);
  const { schema } = parsed;
  const { lockfile, migrations } = await readMigrationsDir(migrationsDir);
  checkLockfile(lockfile);

  const client = await connect(parsed);
  let locked = false;
  try {
    await client.query(`SET search_path TO ${quoteIdent(schema)}`);
    locked = await acquireLock(client, parsed, lockTimeoutMs, log);

    if (!(await schemaExists(client, schema))) {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
      log(`Created schema "${schema}"`);
    }
    const tables = await tableNames(client, schema);
    if (!tables.includes(MIGRATIONS_TABLE)) {
      if (tables.some((t) => !IGNORED_TABLES.some((re) => re.test(t)))) {
        throw new MigrateError(
          'P3005',
          `The database schema is not empty. Read more about how to baseline an existing production database: https://pris.ly/d/migrate-baseline` +
            ` (schema "${schema}" has tables but no ${MIGRATIONS_TABLE})`,
        );
      }
      // search_path is the target schema, so the unqualified DDL lands there, as with Prisma.
      await client.query(CREATE_MIGRATIONS_TABLE_SQL);
    }

    const rows = await loadRows(client, schema);
    const failed = failedMigrationsError(rows);
    if (failed) throw failed;
    const modified = modifiedMigrationsError(findModified(rows, migrations));
    if (modified) throw modified;

    const done = new Set(rows.filter((r) => r.rolled_back_at === null).map((r) => r.migration_name));
    const pending = migrations.filter((m) => !done.has(m.name));
    const alreadyApplied = migrations.filter((m) => done.has(m.name)).map((m) => m.name);
    const missing = pending.find((m) => m.script === null);
    if (missing) throw missingScriptError(missing);

    log(`${migrations.length} migration${migrations.length === 1 ? '' : 's'} found in ${migrationsDir}`);
    if (!pending.length) {
      log('No pending migrations to apply.');
      return { applied: [], alreadyApplied, schema };
    }
    const applied = [];
    for (const m of pending) {
      await applyOne(client, schema, m, log);
      applied.push(m.name);
    }
    log(`Applied ${applied.length} migration${applied.length === 1 ? '' : 's'}: ${applied.join(', ')}`);
    return { applied, alreadyApplied, schema };
  } finally {
    if (locked) await client.query(`SELECT pg_advisory_unlock(${PRISMA_ADVISORY_LOCK_KEY})`).catch(() => {});
    await client.end().catch(() => {});
  }
}

/**
 * The offline counterpart of `prisma migrate resolve`: records a migration as
 * applied (baselining, or after fixing a failed one by hand) or marks a failed
 * migration as rolled back so that deploy applies it again. Writes the same
 * rows as Prisma's schema engine.
 *
 * @param {object} opts
 * @param {string} opts.databaseUrl
 * @param {string} opts.migrationsDir
 * @param {string} [opts.applied]     migration name to record as applied
 * @param {string} [opts.rolledBack]  failed migration name to mark as rolled back
 * @param {(line: string) => void} [opts.log]
 * @param {number} [opts.lockTimeoutMs]
 * @returns {Promise<{ action: 'applied'|'rolled-back', migration: string }>}
 * @throws {MigrateError} P3017 (no such migration directory), P3008 (already applied),
 *   P3011 (never applied), P3012 (not in a failed state)
 */
export async function resolveMigration({ databaseUrl, migrationsDir, applied, rolledBack, log = () => {}, lockTimeoutMs = DEFAULT_LOCK_TIMEOUT_MS }) {
  if (!applied === !rolledBack) throw new Error('give exactly one of applied or rolledBack');
  const parsed = parseDatabaseUrl(databaseUrl);
  const { schema } = parsed;
  const table = `${quoteIdent(schema)}.${MIGRATIONS_TABLE}`;
  const { lockfile, migrations } = await readMigrationsDir(migrationsDir);
  checkLockfile(lockfile);
  const client = await connect(parsed);
  let locked = false;
  try {
    await client.query(`SET search_path TO ${quoteIdent(schema)}`);
    locked = await acquireLock(client, parsed, lockTimeoutMs, log);
    const tableExists = (await schemaExists(client, schema)) && (await tableNames(client, schema)).includes(MIGRATIONS_TABLE);

    if (applied) {
      const m = migrations.find((x) => x.name === applied);
      if (!m || m.script === null) {
        throw new MigrateError(
          'P3017',
          `The migration ${applied} could not be found. Please make sure that the migration exists, and that you included the whole name of the directory. (example: "20201207184859_initial_migration")`,
        );
      }
      if (!tableExists) {
        // Baselining: Prisma creates the table here even in a non-empty schema.
        if (!(await schemaExists(client, schema))) await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
        await client.query(CREATE_MIGRATIONS_TABLE_SQL);
      }
      const rows = (await loadRows(client, schema)).filter((r) => r.migration_name === applied);
      if (rows.some((r) => r.finished_at !== null)) {
        throw new MigrateError('P3008', `The migration \`${applied}\` is already recorded as applied in the database.`);
      }
      for (const r of rows.filter((x) => x.finished_at === null && x.rolled_back_at === null)) {
        await client.query(`UPDATE ${table} SET rolled_back_at = clock_timestamp() WHERE id = $1`, [r.id]);
      }
      await client.query(
        `INSERT INTO ${table} (id, checksum, logs, started_at, finished_at, migration_name)
         VALUES ($1, $2, '', clock_timestamp(), clock_timestamp(), $3)`,
        [randomUUID(), migrationChecksum(m.script), applied],
      );
      log(`Migration ${applied} marked as applied.`);
      return { action: 'applied', migration: applied };
    }

    const rows = tableExists ? (await loadRows(client, schema)).filter((r) => r.migration_name === rolledBack) : [];
    if (!rows.length) {
      throw new MigrateError(
        'P3011',
        `Migration \`${rolledBack}\` cannot be rolled back because it was never applied to the database. Hint: did you pass in the whole migration name? (example: "20201207184859_initial_migration")`,
      );
    }
    const failed = rows.filter((r) => r.finished_at === null && r.rolled_back_at === null);
    if (!failed.length) {
      throw new MigrateError('P3012', `Migration \`${rolledBack}\` cannot be rolled back because it is not in a failed state.`);
    }
    for (const r of failed) {
      await client.query(`UPDATE ${table} SET rolled_back_at = clock_timestamp() WHERE id = $1`, [r.id]);
    }
    log(`Migration ${rolledBack} marked as rolled back.`);
    return { action: 'rolled-back', migration: rolledBack };
  } finally {
    if (locked) await client.query(`SELECT pg_advisory_unlock(${PRISMA_ADVISORY_LOCK_KEY})`).catch(() => {});
    await client.end().catch(() => {});
  }
}

/**
 * Compares a migrations directory with a database without changing anything.
 *
 * @param {object} opts
 * @param {string} opts.databaseUrl
 * @param {string} opts.migrationsDir
 * @returns {Promise<{
 *   schema: string, databaseExists: boolean, tableExists: boolean,
 *   migrations: string[],            // local migration names, in apply order
 *   applied: string[],               // local migrations recorded as finished (not rolled back)
 *   pending: string[],               // local migrations with no live row: deploy would apply these
 *   failed: Array<{ name: string, startedAt: string, logs: string|null }>,
 *   modified: string[],              // applied, but migration.sql changed since
 *   notInDirectory: string[],        // applied in the database, missing locally
 *   unmanagedTables?: string[],      // only without _prisma_migrations: tables that make deploy refuse (P3005)
 * }>}
 */
export async function migrationStatus({ databaseUrl, migrationsDir }) {
  const parsed = parseDatabaseUrl(databaseUrl);
  const { schema } = parsed;
  const { migrations } = await readMigrationsDir(migrationsDir);
  const names = migrations.map((m) => m.name);
  const empty = { schema, databaseExists: true, tableExists: false, migrations: names, applied: [], pending: names, failed: [], modified: [], notInDirectory: [] };
  let client;
  try {
    client = await connect(parsed);
  } catch (err) {
    if (err.code === '3D000') return { ...empty, databaseExists: false };
    throw err;
  }
  try {
    if (!(await schemaExists(client, schema))) return empty;
    const tables = await tableNames(client, schema);
    if (!tables.includes(MIGRATIONS_TABLE)) {
      // Deploy would refuse such a schema (P3005) until it is baselined.
      return { ...empty, unmanagedTables: tables.filter((t) => !IGNORED_TABLES.some((re) => re.test(t))) };
    }
    const rows = (await loadRows(client, schema)).filter((r) => r.rolled_back_at === null);
    const finished = new Set(rows.filter((r) => r.finished_at !== null).map((r) => r.migration_name));
    const live = new Set(rows.map((r) => r.migration_name));
    const local = new Set(names);
    return {
      schema,
      databaseExists: true,
      tableExists: true,
      migrations: names,
      applied: names.filter((n) => finished.has(n)),
      pending: names.filter((n) => !live.has(n)),
      failed: rows.filter((r) => r.finished_at === null).map((r) => ({ name: r.migration_name, startedAt: r.started_at_text, logs: r.logs })),
      modified: findModified(rows, migrations).map((m) => m.name),
      notInDirectory: [...finished].filter((n) => !local.has(n)),
    };
  } finally {
    await client.end().catch(() => {});
  }
}
