import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// @ts-expect-error plain ESM script without types
import { dropDatabase, ensureDatabase, freePort as freePortJs, POSTGRES_SERVER_URL, waitForPort as waitForPortJs } from '../../../scripts/lib/infra.mjs';
// @ts-expect-error plain ESM script without types
import { startNatsCluster, startRedisCluster } from '../../../scripts/lib/cluster.mjs';
// @ts-expect-error plain ESM script without types
import { ensureLivekit } from '../../../scripts/lib/livekit.mjs';
// @ts-expect-error plain ESM script without types
import { applyMigrations } from '../../../scripts/lib/migrate.mjs';
// @ts-expect-error plain ESM script without types
import { startS3 } from '../../../scripts/lib/s3.mjs';
import { NATS_USERS, natsServerConfig, natsServerUsers, type NatsUser } from '../../platform/src/nats-permissions.js';

/**
 * Every service user of the test NATS server has this password (services connect as their
 * own user, so each is held to its own subject permissions); the suite's own observer
 * connections use NATS_TEST_USER, which may do anything.
 */
export const NATS_TEST_PASSWORD = 'test-nats-password';
export const NATS_TEST_USER = 'sb-test';

/** Lines nats-server logs when a user publishes or subscribes outside its permissions. */
export const PERMISSION_VIOLATION = /(Publish|Subscription|Permissions) Violation/;

/**
 * The private infrastructure of one vitest worker: its own nats-server, redis-server and
 * databases. Test files run in parallel, one per worker at a time, so a file shares NATS queue
 * groups, Redis keys and rows only with the files that ran before it in the same worker (ADR 0018).
 */
export interface InfraSlot {
  natsUrl: string;
  /** nats-server's log; a Permissions Violation in it fails the test file that caused it. */
  natsLogFile: string;
  redisUrl: string;
  roomsDatabaseUrl: string;
  mediaDatabaseUrl: string;
  attestationDatabaseUrl: string;
}

export interface TestInfra {
  /** One slot per vitest worker (VITEST_POOL_ID 1..n picks slots[id - 1]). */
  slots: InfraSlot[];
  /** The LiveKit server binary (built once per version, cached in .cache/), or '' with the reason in livekitUnavailable. */
  livekitBinary: string;
  livekitUnavailable: string;
  /** One S3-compatible store (s3rver, ADR 0034) for the run: keys carry unique room ids, so slots need no store of their own. */
  s3: S3Info;
  stop(): Promise<void>;
}

export interface S3Info {
  endpoint: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
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

export const ROOT = new URL('../../../', import.meta.url).pathname;

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

interface RunningSlot extends InfraSlot {
  stop(): Promise<void>;
}

/**
 * Starts a private nats-server (JetStream) and redis-server on free loopback ports (with
 * SB_TEST_CLUSTERED=1 a NATS cluster and a Redis Cluster), so tests neither see nor disturb a
 * running dev stack, and builds fresh databases from migrations.
 */
async function startSlot(run: string): Promise<RunningSlot> {
  const jsDir = mkdtempSync(join(tmpdir(), 'sb-test-js-'));
  // Databases named per run and slot, so parallel runs (CI, developers) never drop each other's data.
  const pgBase = process.env.TEST_POSTGRES_URL ?? POSTGRES_SERVER_URL;
  const databases = { rooms: `${pgBase}/switchboard_test_rooms_${run}`, media: `${pgBase}/switchboard_test_media_${run}`, attestation: `${pgBase}/switchboard_test_attestation_${run}` };
  const servers = process.env.SB_TEST_CLUSTERED === '1' ? startClusteredServers(jsDir) : startSingleServers(jsDir);
  const [{ natsUrl, natsLogFile, redisUrl, stop }] = await Promise.all([servers, ...Object.values(databases).map((url) => ensureDatabase(url))]);
  await Promise.all(Object.entries(databases).map(([service, databaseUrl]) => applyMigrations({ databaseUrl, migrationsDir: join(ROOT, `services/${service}/prisma/migrations`) })));
  return {
    natsUrl,
    natsLogFile,
    redisUrl,
    roomsDatabaseUrl: databases.rooms,
    mediaDatabaseUrl: databases.media,
    attestationDatabaseUrl: databases.attestation,
    async stop() {
      await stop();
      rmSync(jsDir, { recursive: true, force: true });
      await Promise.all(Object.values(databases).map((url) => dropDatabase(url)));
    },
  };
}

interface Servers {
  natsUrl: string;
  natsLogFile: string;
  redisUrl: string;
  stop(): Promise<void>;
}

/** One nats-server (JetStream) and one redis-server on free loopback ports. */
async function startSingleServers(jsDir: string): Promise<Servers> {
  const natsPort = await freePort();
  const redisPort = await freePort();
  const { args: natsArgs, logFile: natsLogFile } = natsServerFiles(jsDir, natsPort);
  const nats = spawnDaemon('nats-server', natsArgs);
  const redis = spawnDaemon('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
  await Promise.all([waitForPort(natsPort), waitForPort(redisPort)]);
  return {
    natsUrl: `nats://127.0.0.1:${natsPort}`,
    natsLogFile,
    redisUrl: `redis://127.0.0.1:${redisPort}`,
    async stop() {
      for (const p of [nats, redis]) p.kill('SIGTERM');
      await Promise.all([nats, redis].map((p) => new Promise((r) => (p.exitCode !== null ? r(null) : p.once('exit', r)))));
    },
  };
}

/**
 * SB_TEST_CLUSTERED=1: a 3-node NATS cluster and a Redis Cluster of 3 masters instead. No Redis
 * replicas: the slot's files prove what spans hash slots (MOVED, CROSSSLOT, hash tags), which
 * masters alone serve (reads go to masters, scaleReads 'master'); failover is test/cluster/'s, on
 * clusters of their own with replicas (ADR 0102).
 */
async function startClusteredServers(jsDir: string): Promise<Servers> {
  const [nats, redis] = await Promise.all([startTestNatsCluster(jsDir), startTestRedisCluster({ replicasPerMaster: 0 })]);
  return {
    natsUrl: nats.urls,
    natsLogFile: nats.logFile,
    redisUrl: redis.url,
    async stop() {
      await Promise.all([nats.stop(), redis.stop()]);
    },
  };
}

/** The test users and permissions (natsServerFiles) for a single server or every node of a cluster. */
function testNatsUsers() {
  const passwords = Object.fromEntries(NATS_USERS.map((u) => [u, NATS_TEST_PASSWORD])) as Record<NatsUser, string>;
  return natsServerUsers(passwords, [{ user: NATS_TEST_USER, password: NATS_TEST_PASSWORD, permissions: { publish: ['>'], subscribe: ['>'] } }]);
}

export interface TestNatsCluster {
  urls: string;
  /** All nodes log into this one file, so the permission-violation check sees every node. */
  logFile: string;
  nodes: { name: string; port: number; child: ChildProcess; start(): ChildProcess }[];
  stop(): Promise<void>;
}

/** A 3-node NATS cluster (JetStream on each) with the production users, for tests that kill nodes. */
export async function startTestNatsCluster(dir?: string): Promise<TestNatsCluster> {
  const base = dir ?? mkdtempSync(join(tmpdir(), 'sb-test-natsc-'));
  const users = testNatsUsers();
  const cluster = await startNatsCluster({
    dir: join(base, 'cluster'),
    config: (n: { serverName: string; port: number; clusterPort: number; routes: string[]; storeDir: string; clusterName: string }) =>
      natsServerConfig({ host: '127.0.0.1', port: n.port, storeDir: n.storeDir, users, cluster: { name: n.clusterName, serverName: n.serverName, port: n.clusterPort, routes: n.routes } }),
  });
  return {
    urls: cluster.urls,
    logFile: cluster.logFile,
    nodes: cluster.nodes,
    async stop() {
      await cluster.stop();
      if (!dir) rmSync(base, { recursive: true, force: true });
    },
  };
}

/** A Redis Cluster of 3 masters + 3 replicas (by default); a silent master is replaced after 2 s. */
export async function startTestRedisCluster({ replicasPerMaster = 1 }: { replicasPerMaster?: number } = {}): Promise<{ url: string; nodes: { port: number; child: ChildProcess; start(): ChildProcess }[]; stop(): Promise<void> }> {
  return startRedisCluster({ masters: 3, replicasPerMaster, nodeTimeoutMs: 2000 });
}

/** One infrastructure slot per vitest worker (see InfraSlot), plus the LiveKit binary. */
export async function startTestInfra(workers: number): Promise<TestInfra> {
  const run = `${process.pid}_${Date.now().toString(36)}`;
  const [livekit, s3, slots] = await Promise.all([
    livekitForTests(),
    startS3() as Promise<S3Info & { stop(): Promise<void> }>,
    Promise.all(Array.from({ length: workers }, (_, i) => startSlot(`${run}_${i + 1}`))),
  ]);
  return {
    slots: slots.map(({ stop: _stop, ...slot }) => slot),
    livekitBinary: livekit.binary,
    livekitUnavailable: livekit.reason,
    s3: { endpoint: s3.endpoint, bucket: s3.bucket, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    async stop() {
      await Promise.all([s3.stop(), ...slots.map((s) => s.stop())]);
    },
  };
}

/**
 * A nats-server configuration with the production users and permissions
 * (packages/platform/src/nats-permissions.ts), each with NATS_TEST_PASSWORD, plus the
 * unrestricted NATS_TEST_USER; JetStream and the log file live in `dir`.
 */
export function natsServerFiles(dir: string, port: number): { args: string[]; logFile: string; configFile: string } {
  const users = testNatsUsers();
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

const PG_BIN = process.env.SB_POSTGRES_BIN ?? '/usr/lib/postgresql/15/bin';

export interface PrivatePostgres {
  /** Server URL (no database): `${url}/<db>` is a database on it. */
  url: string;
  port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server and removes its data directory. */
  destroy(): Promise<void>;
}

/**
 * A private Postgres (initdb into a temp dir, own loopback port) that a test may stop and
 * start: outage tests must never stop the shared server other runs use. initdb refuses to
 * run as root, so as root the cluster belongs to the `postgres` OS user.
 */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'sb-test-pg-'));
  const data = join(dir, 'data');
  const port = await freePort();
  const asRoot = process.getuid?.() === 0;
  const run = (bin: string, args: string[]) =>
    new Promise<void>((resolve, reject) => {
      const [cmd, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(PG_BIN, bin), ...args]] : [join(PG_BIN, bin), args];
      const child = spawn(cmd, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr?.on('data', (d) => (err = (err + d).slice(-4000)));
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${bin} ${args[0]} exited ${code}: ${err}`))));
    });
  if (asRoot) await new Promise<void>((resolve, reject) => spawn('chown', ['postgres', dir]).on('exit', (c) => (c === 0 ? resolve() : reject(new Error('chown failed')))));
  const password = 'private-pg-password';
  const pwFile = join(dir, 'pw');
  writeFileSync(pwFile, password);
  if (asRoot) await new Promise<void>((resolve) => spawn('chown', ['postgres', pwFile]).on('exit', () => resolve()));
  await run('initdb', ['-D', data, '-U', 'switchboard', '--pwfile', pwFile, '-A', 'scram-sha-256', '--no-sync']);
  // Loopback only, a socket dir in the temp dir (not /var/run), no fsync: a throwaway server.
  const opts = `-p ${port} -c listen_addresses=127.0.0.1 -k ${dir} -c fsync=off -c max_connections=100`;
  const pgCtl = (action: 'start' | 'stop') => (action === 'start' ? run('pg_ctl', ['start', '-D', data, '-w', '-t', '30', '-l', join(dir, 'log'), '-o', opts]) : run('pg_ctl', ['stop', '-D', data, '-w', '-t', '30', '-m', 'fast']));
  await pgCtl('start');
  let running = true;
  return {
    url: `postgresql://switchboard:${password}@127.0.0.1:${port}`,
    port,
    async start() {
      await pgCtl('start');
      running = true;
    },
    async stop() {
      await pgCtl('stop');
      running = false;
    },
    async destroy() {
      if (running) await pgCtl('stop').catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
