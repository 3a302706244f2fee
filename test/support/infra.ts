import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// @ts-expect-error plain ESM script without types
import { dropDatabase, ensureDatabase, freePort as freePortJs, POSTGRES_SERVER_URL, waitForPort as waitForPortJs } from '../../scripts/lib/infra.mjs';
// @ts-expect-error plain ESM script without types
import { ensureLivekit } from '../../scripts/lib/livekit.mjs';
// @ts-expect-error plain ESM script without types
import { applyMigrations } from '../../scripts/lib/migrate.mjs';

export interface TestInfra {
  natsUrl: string;
  redisUrl: string;
  roomsDatabaseUrl: string;
  mediaDatabaseUrl: string;
  /** The LiveKit server binary (built once per version, cached in .cache/), or '' with the reason in livekitUnavailable. */
  livekitBinary: string;
  livekitUnavailable: string;
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
  const nats = spawnDaemon('nats-server', ['-a', '127.0.0.1', '-p', String(natsPort), '-js', '-sd', jsDir]);
  const redis = spawnDaemon('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
  // One database per run, so parallel runs (CI, developers) never drop each other's data.
  const pgBase = process.env.TEST_POSTGRES_URL ?? POSTGRES_SERVER_URL;
  const run = `${process.pid}_${Date.now().toString(36)}`;
  const roomsDatabaseUrl = `${pgBase}/switchboard_test_rooms_${run}`;
  const mediaDatabaseUrl = `${pgBase}/switchboard_test_media_${run}`;
  const [livekit] = await Promise.all([livekitForTests(), waitForPort(natsPort), waitForPort(redisPort), ensureDatabase(roomsDatabaseUrl), ensureDatabase(mediaDatabaseUrl)]);
  await applyMigrations({ databaseUrl: roomsDatabaseUrl, migrationsDir: join(ROOT, 'services/rooms/prisma/migrations') });
  await applyMigrations({ databaseUrl: mediaDatabaseUrl, migrationsDir: join(ROOT, 'services/media/prisma/migrations') });
  return {
    natsUrl: `nats://127.0.0.1:${natsPort}`,
    redisUrl: `redis://127.0.0.1:${redisPort}`,
    roomsDatabaseUrl,
    mediaDatabaseUrl,
    livekitBinary: livekit.binary,
    livekitUnavailable: livekit.reason,
    async stop() {
      for (const p of [nats, redis]) p.kill('SIGTERM');
      await Promise.all([nats, redis].map((p) => new Promise((r) => (p.exitCode !== null ? r(null) : p.once('exit', r)))));
      rmSync(jsDir, { recursive: true, force: true });
      await Promise.all([dropDatabase(roomsDatabaseUrl), dropDatabase(mediaDatabaseUrl)]);
    },
  };
}
