#!/usr/bin/env node
// Applies the Prisma migrations of every service that has them (`npm run db:migrate`).
//
//   node scripts/db-migrate.mjs [--service rooms] [--database-url URL] [--offline] [--status]
//
// For each service: create its database when missing, then apply with
// `prisma migrate deploy` when a working Prisma schema engine binary is given
// in PRISMA_SCHEMA_ENGINE_BINARY, otherwise with the offline applier
// (scripts/lib/migrate.mjs), which writes the same _prisma_migrations rows.
// See docs/decisions/0002-migrations.md.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureDatabase, POSTGRES_SERVER_URL, REPO_ROOT } from './lib/infra.mjs';
import { applyMigrations, migrationStatus, parseDatabaseUrl, resolveMigration, DEFAULT_LOCK_TIMEOUT_MS } from './lib/migrate.mjs';

const DEFAULT_SERVER = POSTGRES_SERVER_URL;

/** Services that own a Prisma schema. `dir` holds schema.prisma and migrations/. */
export const MIGRATED_SERVICES = [
  { name: 'rooms', dir: 'services/rooms/prisma', env: 'ROOMS_DATABASE_URL', database: 'switchboard_rooms' },
  { name: 'media', dir: 'services/media/prisma', env: 'MEDIA_DATABASE_URL', database: 'switchboard_media' },
  { name: 'attestation', dir: 'services/attestation/prisma', env: 'ATTESTATION_DATABASE_URL', database: 'switchboard_attestation' },
];

const USAGE = `usage: node scripts/db-migrate.mjs [options]

Applies pending Prisma migrations for: ${MIGRATED_SERVICES.map((s) => s.name).join(', ')}.
Each service's database URL comes from its env var (${MIGRATED_SERVICES.map((s) => s.env).join(', ')}),
default ${DEFAULT_SERVER}/<switchboard_service>.

options:
  --service <name>      only this service (repeatable, or comma-separated)
  --database-url <url>  use this URL (needs exactly one service)
  --offline             always use the offline applier, even if a schema engine is available
  --status              show applied / pending / failed migrations, change nothing
                        (exit 1 when deploy would refuse: failed or modified migration, unmanaged tables)
  --resolve-applied <migration>      record it as applied without running it (like prisma migrate resolve --applied)
  --resolve-rolled-back <migration>  mark a failed migration rolled back (like prisma migrate resolve --rolled-back)
                                     (both need --service; they always use the offline code)
  --lock-timeout <sec>  wait this long for another applier's advisory lock (default ${DEFAULT_LOCK_TIMEOUT_MS / 1000})
  --root <dir>          repository root to read services/ from (default: this checkout)
  -h, --help
`;

/**
 * Whether a Prisma schema engine binary can be used: PRISMA_SCHEMA_ENGINE_BINARY
 * names an executable file that runs `--version` successfully.
 * @returns {{ ok: boolean, binary?: string, version?: string, reason?: string }}
 */
export function schemaEngineAvailable(env = process.env) {
  const binary = env.PRISMA_SCHEMA_ENGINE_BINARY;
  if (!binary) return { ok: false, reason: 'PRISMA_SCHEMA_ENGINE_BINARY is not set' };
  try {
    if (!fs.statSync(binary).isFile()) return { ok: false, binary, reason: `${binary} is not a file` };
    fs.accessSync(binary, fs.constants.X_OK);
  } catch (err) {
    return { ok: false, binary, reason: `${binary} is not an executable file (${err.code || err.message})` };
  }
  const r = spawnSync(binary, ['--version'], { encoding: 'utf8', timeout: 15_000, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.error || r.status !== 0) {
    return { ok: false, binary, reason: `${binary} --version failed (${r.error ? r.error.message : `exit ${r.status}`})` };
  }
  return { ok: true, binary, version: (r.stdout || r.stderr).trim().split('\n')[0] };
}

function prismaConfigDir(serviceRoot) {
  const names = ['prisma.config.ts', 'prisma.config.mts', 'prisma.config.cts', 'prisma.config.js', 'prisma.config.mjs', 'prisma.config.cjs'];
  return names.some((n) => fs.existsSync(path.join(serviceRoot, n)));
}

function runPrismaDeploy({ schemaFile, databaseUrl, cwd }) {
  const args = ['--no', 'prisma', 'migrate', 'deploy', '--schema', schemaFile];
  const r = spawnSync('npx', args, {
    cwd,
    stdio: 'inherit',
    env: { ...process.env, DATABASE_URL: databaseUrl },
  });
  if (r.error) throw new Error(`npx ${args.join(' ')}: ${r.error.message}`);
  if (r.status !== 0) throw Object.assign(new Error(`prisma migrate deploy exited with ${r.status ?? r.signal}`), { code: 'PRISMA_CLI' });
}

function describeError(err) {
  if (err.code === 'ECONNREFUSED' || /ECONNREFUSED/.test(err.message)) {
    return `${err.message}\nIs PostgreSQL running? Start it with: npm run setup`;
  }
  const hints = {
    P3005:
      'The schema has tables that no migration recorded. If they match the migrations, baseline with\n' +
      '  node scripts/db-migrate.mjs --service <name> --resolve-applied <migration>\n' +
      'otherwise drop the development database and migrate again.',
    P3009:
      'Fix the database by hand, then either record the migration as applied\n' +
      '  node scripts/db-migrate.mjs --service <name> --resolve-applied <migration>\n' +
      'or mark it rolled back so that it runs again\n' +
      '  node scripts/db-migrate.mjs --service <name> --resolve-rolled-back <migration>',
  };
  if (/^P\d{4}$/.test(err.code || '') || err.code === 'MIGRATION_MODIFIED') {
    return `Error: ${err.code}\n\n${err.message.trimEnd()}${hints[err.code] ? `\n\n${hints[err.code]}` : ''}`;
  }
  return err.message;
}

function printStatus(name, st, out) {
  out(`${name}: ${st.migrations.length} migration(s) in directory; schema "${st.schema}"`);
  if (!st.databaseExists) out('  database does not exist yet');
  else if (!st.tableExists) out('  no _prisma_migrations table yet');
  if (st.unmanagedTables?.length) {
    out(`  NOT EMPTY: tables ${st.unmanagedTables.join(', ')} exist without _prisma_migrations; deploy refuses (P3005) until baselined`);
  }
  out(`  applied: ${st.applied.length ? st.applied.join(', ') : '-'}`);
  out(`  pending: ${st.pending.length ? st.pending.join(', ') : '-'}`);
  for (const f of st.failed) out(`  FAILED:  ${f.name} (started ${f.startedAt})`);
  for (const m of st.modified) out(`  MODIFIED after apply: ${m}`);
  for (const m of st.notInDirectory) out(`  applied but not in the directory: ${m}`);
}

async function main(argv) {
  const out = (line) => process.stdout.write(`${line}\n`);
  const err = (line) => process.stderr.write(`${line}\n`);
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        service: { type: 'string', multiple: true },
        'database-url': { type: 'string' },
        offline: { type: 'boolean', default: false },
        status: { type: 'boolean', default: false },
        'resolve-applied': { type: 'string' },
        'resolve-rolled-back': { type: 'string' },
        'lock-timeout': { type: 'string' },
        root: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (e) {
    err(`${e.message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    out(USAGE);
    return 0;
  }

  const wanted = (values.service || []).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
  const unknown = wanted.filter((w) => !MIGRATED_SERVICES.some((s) => s.name === w));
  if (unknown.length) {
    err(`unknown service(s): ${unknown.join(', ')} (known: ${MIGRATED_SERVICES.map((s) => s.name).join(', ')})`);
    return 2;
  }
  const selected = wanted.length ? MIGRATED_SERVICES.filter((s) => wanted.includes(s.name)) : MIGRATED_SERVICES;
  if (values['database-url'] && selected.length !== 1) {
    err('--database-url applies to one service: add --service <name>');
    return 2;
  }
  const resolve = values['resolve-applied'] ? { applied: values['resolve-applied'] } : values['resolve-rolled-back'] ? { rolledBack: values['resolve-rolled-back'] } : null;
  if (resolve && (values['resolve-applied'] && values['resolve-rolled-back'])) {
    err('give only one of --resolve-applied and --resolve-rolled-back');
    return 2;
  }
  if (resolve && wanted.length !== 1) {
    err('--resolve-applied / --resolve-rolled-back need exactly one --service');
    return 2;
  }
  const lockTimeoutMs = values['lock-timeout'] === undefined ? DEFAULT_LOCK_TIMEOUT_MS : Number(values['lock-timeout']) * 1000;
  if (!(lockTimeoutMs > 0)) {
    err('--lock-timeout must be a positive number of seconds');
    return 2;
  }

  const root = path.resolve(values.root || REPO_ROOT);
  const engine = values.offline ? { ok: false, reason: '--offline given' } : schemaEngineAvailable();
  let failures = 0;
  let done = 0;

  for (const svc of selected) {
    const dir = path.join(root, svc.dir);
    const migrationsDir = path.join(dir, 'migrations');
    if (!fs.existsSync(migrationsDir)) {
      out(`${svc.name}: no migrations yet (${path.relative(root, migrationsDir)} does not exist), skipped`);
      continue;
    }
    const databaseUrl = values['database-url'] || process.env[svc.env] || `${DEFAULT_SERVER}/${svc.database}`;
    let parsed;
    try {
      parsed = parseDatabaseUrl(databaseUrl);
    } catch (e) {
      err(`${svc.name}: bad database URL: ${e.message}`);
      failures++;
      continue;
    }
    try {
      if (values.status) {
        const st = await migrationStatus({ databaseUrl, migrationsDir });
        printStatus(svc.name, st, out);
        if (st.failed.length || st.modified.length || st.unmanagedTables?.length) failures++; // deploy would refuse
        else done++;
        continue;
      }
      if (resolve) {
        await resolveMigration({ databaseUrl, migrationsDir, lockTimeoutMs, ...resolve, log: (line) => out(`${svc.name}: ${line}`) });
        done++;
        continue;
      }
      const db = await ensureDatabase(databaseUrl);
      if (db.created) out(`${svc.name}: created database "${db.database}"`);

      const schemaFile = path.join(dir, 'schema.prisma');
      const useEngine = engine.ok && fs.existsSync(schemaFile);
      if (useEngine) {
        out(`${svc.name}: ${parsed.display} via prisma migrate deploy (schema engine ${engine.binary}${engine.version ? `, ${engine.version}` : ''})`);
        const serviceRoot = path.dirname(dir);
        runPrismaDeploy({ schemaFile, databaseUrl, cwd: prismaConfigDir(serviceRoot) ? serviceRoot : root });
      } else {
        const why = engine.ok ? `${path.relative(root, schemaFile)} not found` : engine.reason;
        out(`${svc.name}: ${parsed.display} via offline applier (${why})`);
        await applyMigrations({ databaseUrl, migrationsDir, lockTimeoutMs, log: (line) => out(`  ${line}`) });
      }
      done++;
    } catch (e) {
      failures++;
      err(`${svc.name}: migration failed\n${describeError(e)}`);
    }
  }
  if (!failures && !done) out('nothing to migrate');
  return failures ? 1 : 0;
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`db-migrate: ${e.stack || e}\n`);
      process.exitCode = 1;
    },
  );
}
