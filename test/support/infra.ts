import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// @ts-expect-error plain ESM script without types
import { dropDatabase, ensureDatabase, freePort as freePortJs, POSTGRES_SERVER_URL, waitForPort as waitForPortJs } from '../../scripts/lib/infra.mjs';
// @ts-expect-error plain ESM script without types
import { ensureLivekit } from '../../scripts/lib/livekit.mjs';
// @ts-expect-error plain ESM script without types
import { applyMigrations } from '../../scripts/lib/migrate.mjs';
// @ts-expect-error plain ESM script without types
import { startS3 } from '../../scripts/lib/s3.mjs';
import { NATS_USERS, natsServerConfig, natsServerUsers, type NatsUser } from '../../packages/platform/src/nats-permissions.js';

/**
 * Every service user of the test NATS server has this password (services connect as their
 * own user, so each is held to its own subject permissions); the suite's own observer
 * connections use NATS_TEST_USER, which may do anything.
 */
export const NATS_TEST_PASSWORD = 'test-nats-password';
export const NATS_TEST_USER = 'sb-test';

/** Lines nats-server logs when a user publishes or subscribes outside its permissions. */
export const PERMISSION_VIOLATION = /(Publish|Subscription|Permissions) Violation/;

export interface TestInfra {
  natsUrl: string;
  /** nats-server's log; a Permissions Violation in it fails the test file that caused it. */
  natsLogFile: string;
  redisUrl: string;
  roomsDatabaseUrl: string;
  mediaDatabaseUrl: string;
  attestationDatabaseUrl: string;
  /** The LiveKit server binary (built once per version, cached in .cache/), or '' with the reason in livekitUnavailable. */
  livekitBinary: string;
  livekitUnavailable: string;
  /** The S3-compatible store (s3rver, ADR 0034) on loopback, its bucket and credentials. */
  s3: { endpoint: string; bucket: string; accessKeyId: string; secretAccessKey: string };
  stop(): Promise<void>;
}

/**
 * Builds LiveKit for the real-server tests when it is not cached yet (needs Go; ~1-10 min once,
 * then instant). Without Go the real-server cases are skipped, saying why; the fake still runs.
 */
export async function livekitForTests(): Promise<{ binary: string; reason: string }> {
  const r = (await ensureLivekit({ log: (l: string) => console.log(`[test-infra] ${l}`) })) as { ok: boolean; binary?: string; reason?: string };
  if (!r.ok) console.warn(`[test-infra] real LiveKit tests are skipped: ${r.reason}`);
  return r.ok ? { binary: r.binary!, reason: '' } : { binary: '', reason: r.reason ?? 'unknown' };
}

export const ROOT = new URL('../../', import.meta.url).pathname;

export const freePort: () => Promise<number> = freePortJs;
/** Creates (when missing) / drops a database given its URL; for tests that make extra databases (restores). */
export const createDatabase: (url: string) => Promise<void> = ensureDatabase;
export const removeDatabase: (url: string) => Promise<void> = dropDatabase;
export const waitForPort: (port: number, timeoutMs?: number) => Promise<void> = waitForPortJs;

function spawnDaemon(cmd: string, args: string[]): ChildProcess {
  const child = spawn(cmd, args, { stdio: 'ignore' });
  child.on('error', (err) => console.error(`${cmd} failed to start: ${err.message} (run npm run setup)`));
  return child;
}

/**
 * Starts a private nats-server (JetStream) and redis-server on free loopback ports, so tests
 * neither see nor disturb a running dev stack, and builds a fresh test database from migrations.
 */
export async function startTestInfra(): Promise<TestInfra> {
  const natsPort = await freePort();
  const redisPort = await freePort();
  const jsDir = mkdtempSync(join(tmpdir(), 'sb-test-js-'));
  const { args: natsArgs, logFile: natsLogFile } = natsServerFiles(jsDir, natsPort);
  const nats = spawnDaemon('nats-server', natsArgs);
  const redis = spawnDaemon('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
  // One database per run, so parallel runs (CI, developers) never drop each other's data.
  const pgBase = process.env.TEST_POSTGRES_URL ?? POSTGRES_SERVER_URL;
  const run = `${process.pid}_${Date.now().toString(36)}`;
  const roomsDatabaseUrl = `${pgBase}/switchboard_test_rooms_${run}`;
  const mediaDatabaseUrl = `${pgBase}/switchboard_test_media_${run}`;
  const attestationDatabaseUrl = `${pgBase}/switchboard_test_attestation_${run}`;
  const [livekit, s3] = await Promise.all([livekitForTests(), startS3(), waitForPort(natsPort), waitForPort(redisPort), ensureDatabase(roomsDatabaseUrl), ensureDatabase(mediaDatabaseUrl), ensureDatabase(attestationDatabaseUrl)]);
  await applyMigrations({ databaseUrl: roomsDatabaseUrl, migrationsDir: join(ROOT, 'services/rooms/prisma/migrations') });
  await applyMigrations({ databaseUrl: mediaDatabaseUrl, migrationsDir: join(ROOT, 'services/media/prisma/migrations') });
  await applyMigrations({ databaseUrl: attestationDatabaseUrl, migrationsDir: join(ROOT, 'services/attestation/prisma/migrations') });
  return {
    natsUrl: `nats://127.0.0.1:${natsPort}`,
    natsLogFile,
    redisUrl: `redis://127.0.0.1:${redisPort}`,
    roomsDatabaseUrl,
    mediaDatabaseUrl,
    attestationDatabaseUrl,
    livekitBinary: livekit.binary,
    livekitUnavailable: livekit.reason,
    s3: { endpoint: s3.endpoint, bucket: s3.bucket, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    async stop() {
      await s3.stop();
      for (const p of [nats, redis]) p.kill('SIGTERM');
      await Promise.all([nats, redis].map((p) => new Promise((r) => (p.exitCode !== null ? r(null) : p.once('exit', r)))));
      rmSync(jsDir, { recursive: true, force: true });
      await Promise.all([dropDatabase(roomsDatabaseUrl), dropDatabase(mediaDatabaseUrl), dropDatabase(attestationDatabaseUrl)]);
    },
  };
}

/**
 * A nats-server configuration with the production users and permissions
 * (packages/platform/src/nats-permissions.ts), each with NATS_TEST_PASSWORD, plus the
 * unrestricted NATS_TEST_USER; JetStream and the log file live in `dir`.
 */
export function natsServerFiles(dir: string, port: number): { args: string[]; logFile: string; configFile: string } {
  const passwords = Object.fromEntries(NATS_USERS.map((u) => [u, NATS_TEST_PASSWORD])) as Record<NatsUser, string>;
  const users = natsServerUsers(passwords, [{ user: NATS_TEST_USER, password: NATS_TEST_PASSWORD, permissions: { publish: ['>'], subscribe: ['>'] } }]);
  const configFile = join(dir, 'nats.conf');
  const logFile = join(dir, 'nats.log');
  writeFileSync(configFile, natsServerConfig({ host: '127.0.0.1', port, storeDir: join(dir, 'js'), users }), { mode: 0o600 });
  return { args: ['-c', configFile, '-l', logFile], logFile, configFile };
}

/** Permission violations logged by nats-server after byte `from` of its log. */
export function natsViolationsSince(logFile: string, from: number): { lines: string[]; size: number } {
  let text = '';
  try {
    text = readFileSync(logFile, 'utf8');
  } catch {
    return { lines: [], size: from };
  }
  return { lines: text.slice(from).split('\n').filter((l) => PERMISSION_VIOLATION.test(l)), size: text.length };
}
