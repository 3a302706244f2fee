// Starting and stopping what the benchmark measures: private NATS/Redis/Postgres database,
// the Switchboard stack (scripts/start.mjs), the Socket.IO reference pair and the PeerJS server.
// Every child is registered and killed on exit, SIGINT, SIGTERM or an uncaught error.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dropDatabase, ensureDatabase, ensureInfra, freePort, POSTGRES_SERVER_URL, waitForPort } from '../../scripts/lib/infra.mjs';

export { freePort, waitForPort };
import { applyMigrations } from '../../scripts/lib/migrate.mjs';
import { childrenOf, cmdlineOf, environOf } from './proc.mjs';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const registry = new Set();
let cleaningUp = false;

/**
 * A child with the tail of its output (and whether SIGINT stops it cleanly).
 * @typedef {import('node:child_process').ChildProcess & { output: string, sigintStops?: boolean }} TrackedChild
 */

/**
 * Spawns a child in its own process group and remembers it for cleanup.
 * @param {string} cmd @param {string[]} args @param {import('node:child_process').SpawnOptions} [opts]
 * @returns {TrackedChild}
 */
export function spawnTracked(cmd, args, opts = {}) {
  const child = /** @type {TrackedChild} */ (spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts, detached: true }));
  child.output = '';
  const keep = (d) => (child.output = (child.output + d).slice(-20_000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.on('error', (err) => (child.output += `\nspawn error: ${err.message}`));
  registry.add(child);
  child.once('exit', () => registry.delete(child));
  return child;
}

function killGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {}
  }
}

/** SIGTERM (then SIGKILL after graceMs) to a tracked child's process group; resolves on exit. */
export function stopChild(child, graceMs = 8000) {
  if (!child || child.exitCode !== null || child.signalCode) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(force);
      // start.mjs children are in the same group; make sure none outlive it.
      killGroup(child, 'SIGKILL');
      resolve(undefined);
    });
    killGroup(child, child.sigintStops ? 'SIGINT' : 'SIGTERM');
  });
}

const cleanups = [];
export const onCleanup = (fn) => cleanups.push(fn);

export async function cleanupAll() {
  if (cleaningUp) return;
  cleaningUp = true;
  await Promise.all([...registry].map((c) => stopChild(c, 5000)));
  while (cleanups.length) await cleanups.pop()().catch(() => undefined);
}

export function installExitHandlers() {
  const bail = (why) => {
    console.error(`\n[bench] ${why}: stopping every process it started`);
    // Exits whatever cleanup does; a cleanup failure has nothing left to report to.
    void cleanupAll().finally(() => process.exit(130));
  };
  process.on('SIGINT', () => bail('SIGINT'));
  process.on('SIGTERM', () => bail('SIGTERM'));
  process.on('uncaughtException', (err) => {
    console.error(err);
    bail('uncaught error');
  });
  process.on('exit', () => {
    for (const c of registry) killGroup(c, 'SIGKILL');
  });
}

/** A base port with `span` consecutive free ports after it. */
export async function freePortBlock(span) {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    const checks = await Promise.all(
      Array.from({ length: span }, (_, i) => new Promise((resolve) => {
        const srv = createServer();
        srv.once('error', () => resolve(false));
        srv.listen(base + i, '127.0.0.1', () => srv.close(() => resolve(true)));
      })),
    );
    if (checks.every(Boolean)) return base;
  }
  throw new Error('no free port block');
}

export async function startRedis() {
  const port = await freePort();
  const child = spawnTracked('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxclients', '200000']);
  await waitForPort(port);
  return { url: `redis://127.0.0.1:${port}`, child, port };
}

export async function startNats() {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'sb-bench-js-'));
  const child = spawnTracked('nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir]);
  onCleanup(async () => rmSync(dir, { recursive: true, force: true }));
  await waitForPort(port);
  return { url: `nats://127.0.0.1:${port}`, child, port };
}

/** The media service's database beside a rooms database of the benchmark. */
const mediaDatabaseOf = (roomsUrl) => `${roomsUrl}_media`;

/** Dedicated, migrated databases switchboard_bench_<pid> (rooms) and …_media, dropped at cleanup. Returns the rooms one. */
export async function startDatabase(log) {
  await ensureInfra({ log: () => {}, services: ['postgres'], timeoutMs: 60_000 });
  const pgBase = process.env.BENCH_POSTGRES_URL ?? POSTGRES_SERVER_URL;
  const url = `${pgBase}/switchboard_bench_${process.pid}`;
  for (const [databaseUrl, service] of [[url, 'rooms'], [mediaDatabaseOf(url), 'media']]) {
    await ensureDatabase(databaseUrl);
    onCleanup(() => dropDatabase(databaseUrl));
    await applyMigrations({ databaseUrl, migrationsDir: join(ROOT, `services/${service}/prisma/migrations`) });
    log?.(`database ${new URL(databaseUrl).pathname.slice(1)} migrated`);
  }
  return url;
}

/** The service each measured process runs. */
const SERVICE_OF = { 'gateway-a': 'gateway', 'gateway-b': 'gateway', rooms: 'rooms', presence: 'presence', media: 'media', attestation: 'attestation' };

export function ensureBuilt(log) {
  const needed = ['gateway', 'rooms', 'presence', 'media', 'attestation'].filter((s) => !existsSync(join(ROOT, 'services', s, 'dist/main.js')));
  if (!needed.length) return Promise.resolve();
  log(`building (dist missing for ${needed.join(', ')}): npm run build`);
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
    child.on('exit', (code) => (code === 0 ? resolve(undefined) : reject(new Error(`npm run build failed (${code})`))));
  });
}

/**
 * Runs scripts/start.mjs against private infrastructure. Returns the gateway URLs and the pids
 * of every service process, by name (gateway-a, gateway-b, rooms, …).
 */
export async function startSwitchboard({ natsUrl, redisUrl, databaseUrl, jwtSecret, adminKey, extraEnv = {}, log }) {
  const base = await freePortBlock(25);
  const env = {
    ...process.env,
    SB_PORT_BASE: String(base),
    NATS_URL: natsUrl,
    REDIS_URL: redisUrl,
    ROOMS_DATABASE_URL: databaseUrl,
    MEDIA_DATABASE_URL: mediaDatabaseOf(databaseUrl),
    JWT_SECRET: jwtSecret,
    ADMIN_API_KEYS: adminKey,
    LOG_LEVEL: 'warn',
    NODE_ENV: 'production',
    RATE_PER_SEC: '1000000',
    RATE_BURST: '1000000',
    ...extraEnv,
  };
  const child = spawnTracked(process.execPath, [join(ROOT, 'scripts/start.mjs'), '--no-build', '--quiet'], { cwd: ROOT, env });
  child.sigintStops = true;
  const deadline = Date.now() + 90_000;
  while (!/all processes ready|some processes are not ready/.test(child.output)) {
    if (child.exitCode !== null) throw new Error(`start.mjs exited (${child.exitCode}):\n${child.output}`);
    if (Date.now() > deadline) throw new Error(`stack not ready within 90 s:\n${child.output}`);
    await sleep(100);
  }
  const byPort = {
    [base]: 'gateway-a',
    [base + 1]: 'gateway-b',
    [base + 11]: 'rooms',
    [base + 12]: 'presence',
    [base + 13]: 'media',
    [base + 14]: 'attestation',
  };
  if (!/all processes ready/.test(child.output)) {
    // start.mjs gives each process 30 s; on a loaded machine NestJS start-up takes longer, so
    // keep waiting for /readyz (up to 3 minutes) unless a process exited.
    const until = Date.now() + 180_000;
    const ready = async (port) => fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false);
    let pending = Object.keys(byPort);
    while (pending.length) {
      // Only the measured services count (start.mjs also runs the demo app, which is not).
      if (new RegExp(`\\] (${Object.values(byPort).join('|')}) exited \\(`).test(child.output) || child.exitCode !== null) throw new Error(`a Switchboard process exited during start-up:\n${child.output}`);
      if (Date.now() > until) throw new Error(`processes on ports ${pending.join(', ')} did not become ready:\n${child.output}`);
      const ok = await Promise.all(pending.map(ready));
      pending = pending.filter((_, i) => !ok[i]);
      if (pending.length) await sleep(500);
    }
    log?.('every Switchboard process ready (after start.mjs\'s own 30 s wait)');
  }
  const pids = {};
  for (const pid of childrenOf(child.pid)) {
    const name = byPort[environOf(pid).HTTP_PORT];
    // start.mjs runs each service from its bundle (dist/bundle/<name>.mjs, ADR 0093).
    if (name && cmdlineOf(pid).some((a) => a.endsWith(`dist/bundle/${SERVICE_OF[name]}.mjs`))) pids[name] = pid;
  }
  // A process whose CPU is not counted would make the per-message ratios wrong (issue 13): fail.
  const missing = Object.values(byPort).filter((n) => !pids[n]);
  if (missing.length) throw new Error(`could not find the pids of ${missing.join(', ')} (their CPU would go uncounted)`);
  return {
    child,
    base,
    pids,
    urls: [`ws://127.0.0.1:${base}/ws`, `ws://127.0.0.1:${base + 1}/ws`],
    http: [`http://127.0.0.1:${base}`, `http://127.0.0.1:${base + 1}`],
    stop: () => stopChild(child, 20_000),
  };
}

export async function startSocketIo({ redisUrl, jwtSecret, instances = 2, extraEnv = {} }) {
  const servers = [];
  for (let i = 0; i < instances; i++) {
    const port = await freePort();
    const child = spawnTracked(process.execPath, [join(ROOT, 'bench/reference/socketio-server.mjs')], { env: { ...process.env, PORT: String(port), REDIS_URL: redisUrl, JWT_SECRET: jwtSecret, ...extraEnv } });
    servers.push({ child, port });
  }
  await Promise.all(servers.map(({ port }) => waitForPort(port)));
  return { urls: servers.map((s) => `ws://127.0.0.1:${s.port}`), pids: Object.fromEntries(servers.map((s, i) => [`socketio-${i}`, s.child.pid])), stop: () => Promise.all(servers.map((s) => stopChild(s.child))) };
}

export async function startPeerJs({ extraEnv = {} } = {}) {
  const port = await freePort();
  const child = spawnTracked(process.execPath, [join(ROOT, 'bench/reference/peerjs-server.mjs')], { env: { ...process.env, PORT: String(port), ...extraEnv } });
  await waitForPort(port);
  return { urls: [`ws://127.0.0.1:${port}/bench/peerjs`], pids: { peerjs: child.pid }, stop: () => stopChild(child) };
}

/** Postgres backends serving our databases (rooms' and media's, `${rooms}_media`), so their CPU counts as Switchboard's. */
export async function postgresBackends(databaseUrl) {
  const { default: pg } = await import('pg');
  const u = new URL(databaseUrl);
  const name = u.pathname.slice(1);
  u.pathname = '/postgres';
  const client = new pg.Client({ connectionString: u.toString() });
  try {
    await client.connect();
    const { rows } = await client.query('SELECT pid FROM pg_stat_activity WHERE datname = ANY($1)', [[name, `${name}_media`]]);
    return rows.map((r) => r.pid);
  } catch {
    return [];
  } finally {
    await client.end().catch(() => undefined);
  }
}
