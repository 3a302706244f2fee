// Local infrastructure for Switchboard: PostgreSQL, Redis and NATS (JetStream).
//
// ensureInfra() checks each service with a real protocol exchange (SELECT 1,
// PING, NATS INFO with "jetstream":true), starts what is installed but not
// running, installs what is missing (root only, Debian packages), then waits
// (bounded) until every check passes. It is idempotent and prints one line per
// service.
//
// Only node built-ins and `pg` are used. Plain ESM, no build step.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const HOST = '127.0.0.1';
export const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * The Postgres server every local tool uses (tests, `npm start`, migrations, benchmarks), without
 * a database name. Debian's cluster asks for a password on 127.0.0.1 (scram-sha-256), so the
 * project uses a role of its own with a development password, created over the `peer` socket
 * by ensureInfra(). SB_POSTGRES_URL points everything at another server (nothing is provisioned then).
 */
export const DEV_POSTGRES_ROLE = Object.freeze({ user: 'switchboard', password: 'switchboard' });
export const POSTGRES_SERVER_URL = (process.env.SB_POSTGRES_URL || `postgresql://${DEV_POSTGRES_ROLE.user}:${DEV_POSTGRES_ROLE.password}@${HOST}:5432`).replace(/\/+$/, '');

/** The URL of one database on the local server. */
export const postgresDatabaseUrl = (database) => `${POSTGRES_SERVER_URL}/${database}`;

/**
 * The services we manage, in the order they are handled.
 * @type {Readonly<Record<'postgres' | 'redis' | 'nats', Readonly<{ name: string, port: number, apt: string }>>>}
 */
export const SERVICES = Object.freeze({
  postgres: Object.freeze({ name: 'postgres', port: 5432, apt: 'postgresql' }),
  redis: Object.freeze({ name: 'redis', port: 6379, apt: 'redis-server' }),
  nats: Object.freeze({ name: 'nats', port: 4222, apt: 'nats-server' }),
});

/**
 * Tools (not servers) the checks need: promtool checks alert rules and metric names, and the
 * Prometheus server scrapes a running stack in test/e2e/npm-start.spec.ts (Debian
 * package `prometheus`; its service is never started, tests run their own on loopback);
 * opus-tools makes and checks the push-to-talk tests' Opus audio (test/e2e/ptt-audio.spec.ts).
 */
export const TOOLS = Object.freeze({
  prometheus: Object.freeze({ binaries: ['prometheus', 'promtool'], apt: 'prometheus' }),
  // Push-to-talk tests encode their Opus test audio with opusenc and check recordings with opusinfo/opusdec.
  opus: Object.freeze({ binaries: ['opusenc', 'opusdec', 'opusinfo'], apt: 'opus-tools' }),
});

export class InfraError extends Error {
  constructor(message, results) {
    super(message);
    this.name = 'InfraError';
    this.results = results;
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------
// Checks (each resolves to { ok: boolean, detail: string, portOpen: boolean })
// ---------------------------------------------------------------------------

/** Resolves true when something accepts a TCP connection on host:port. */
export function checkTcp(port, host = HOST, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host });
    const done = (ok) => {
      sock.removeAllListeners();
      sock.on('error', () => {});
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/** A TCP port on 127.0.0.1 that was free a moment ago (tests and benchmarks start servers on it). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, HOST, () => {
      const { port } = /** @type {net.AddressInfo} */ (srv.address());
      srv.close(() => resolve(port));
    });
  });
}

/** Polls until something accepts connections on the port; throws after timeoutMs. */
export async function waitForPort(port, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await checkTcp(port)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`port ${port} did not open within ${timeoutMs} ms`);
}

/**
 * Opens a TCP connection, optionally writes `send`, and resolves with the first
 * CRLF-terminated line the server sends. Rejects on connect errors or timeout.
 * @param {number} port @param {{ host?: string, send?: string, timeoutMs?: number, maxBytes?: number }} [options]
 */
export function readFirstLine(port, { host = HOST, send, timeoutMs = 2000, maxBytes = 64 * 1024 } = {}) {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ port, host });
    let buf = '';
    let settled = false;
    const finish = (err, line) => {
      if (settled) return;
      settled = true;
      sock.removeAllListeners();
      sock.on('error', () => {});
      sock.destroy();
      if (err) reject(err);
      else resolve(line);
    };
    sock.setEncoding('utf8');
    sock.setTimeout(timeoutMs, () => finish(new Error(`no reply within ${timeoutMs} ms`)));
    sock.once('error', (err) => finish(err));
    sock.once('connect', () => {
      if (send) sock.write(send);
    });
    sock.on('data', (chunk) => {
      buf += chunk;
      const i = buf.indexOf('\r\n');
      if (i >= 0) finish(null, buf.slice(0, i));
      else if (buf.length > maxBytes) finish(new Error('reply line too long'));
    });
    sock.once('end', () => finish(new Error(buf ? `connection closed after ${JSON.stringify(buf.slice(0, 80))}` : 'connection closed without reply')));
  });
}

/**
 * Parses a NATS server INFO line (`INFO {json}`, with or without the trailing
 * CRLF). Returns `{ info, jetstream }` where `jetstream` is true only when the
 * server advertises `"jetstream":true`; returns null when the line is not a
 * well-formed INFO line.
 */
export function parseNatsInfo(line) {
  if (typeof line !== 'string') return null;
  const m = /^\s*INFO\s+(\{.*\})\s*$/s.exec(line);
  if (!m) return null;
  let info;
  try {
    info = JSON.parse(m[1]);
  } catch {
    return null;
  }
  if (info === null || typeof info !== 'object' || Array.isArray(info)) return null;
  return { info, jetstream: info.jetstream === true };
}

/** Postgres refused who we are (wrong or missing password, unknown role), not the connection. */
const isAuthFailure = (err) => ['28P01', '28000'].includes(err.code) || /SASL|password/i.test(err.message);

export async function checkPostgres({ host = HOST, port = SERVICES.postgres.port, timeoutMs = 3000, serverUrl = POSTGRES_SERVER_URL } = {}) {
  const u = new URL(serverUrl);
  const client = new pg.Client({
    host,
    port,
    user: decodeURIComponent(u.username) || 'postgres',
    password: decodeURIComponent(u.password),
    database: 'postgres',
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
    application_name: 'switchboard-infra-check',
  });
  client.on('error', () => {});
  try {
    await client.connect();
    const { rows } = await client.query('SELECT 1 AS one, current_setting(\'server_version\') AS version');
    if (rows[0]?.one !== 1) return { ok: false, portOpen: true, detail: 'SELECT 1 returned an unexpected result' };
    return { ok: true, portOpen: true, detail: `PostgreSQL ${rows[0].version}` };
  } catch (err) {
    const portOpen = err.code !== 'ECONNREFUSED' && (await checkTcp(port, host));
    return { ok: false, portOpen, authFailed: portOpen && isAuthFailure(err), detail: `SELECT 1 failed: ${err.message}` };
  } finally {
    await client.end().catch(() => {});
  }
}

export async function checkRedis({ host = HOST, port = SERVICES.redis.port, timeoutMs = 2000 } = {}) {
  try {
    const line = await readFirstLine(port, { host, send: 'PING\r\n', timeoutMs });
    if (line === '+PONG') return { ok: true, portOpen: true, detail: 'PING -> +PONG' };
    return { ok: false, portOpen: true, detail: `PING answered ${JSON.stringify(line.slice(0, 120))}, expected +PONG` };
  } catch (err) {
    const portOpen = err.code !== 'ECONNREFUSED' && (await checkTcp(port, host));
    return { ok: false, portOpen, detail: `PING failed: ${err.message}` };
  }
}

export async function checkNats({ host = HOST, port = SERVICES.nats.port, timeoutMs = 2000 } = {}) {
  try {
    const line = await readFirstLine(port, { host, timeoutMs });
    const parsed = parseNatsInfo(line);
    if (!parsed) return { ok: false, portOpen: true, detail: `not a NATS INFO line: ${JSON.stringify(line.slice(0, 120))}` };
    const v = parsed.info.version ? `NATS ${parsed.info.version}` : 'NATS';
    if (!parsed.jetstream) {
      return {
        ok: false,
        portOpen: true,
        jetstreamOff: true,
        detail: `${v} is running without JetStream (INFO has no "jetstream":true); restart it with -js`,
      };
    }
    return { ok: true, portOpen: true, detail: `${v} with JetStream` };
  } catch (err) {
    const portOpen = err.code !== 'ECONNREFUSED' && (await checkTcp(port, host));
    return { ok: false, portOpen, detail: `INFO failed: ${err.message}` };
  }
}

const CHECKS = { postgres: checkPostgres, redis: checkRedis, nats: checkNats };

/** Runs the check for one service by name. */
export function checkService(name, opts) {
  const fn = CHECKS[name];
  if (!fn) throw new Error(`unknown service ${name}`);
  return fn(opts);
}

// ---------------------------------------------------------------------------
// Helpers to find binaries and run commands
// ---------------------------------------------------------------------------

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

function isExecutable(p) {
  try {
    const st = fs.statSync(p);
    if (!st.isFile()) return false;
    fs.accessSync(p, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function isDir(p) {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Finds an executable on PATH plus the usual sbin dirs (which non-root PATHs omit). */
export function which(cmd) {
  if (cmd.includes('/')) return isExecutable(cmd) ? cmd : null;
  const dirs = (process.env.PATH || '').split(path.delimiter).filter(Boolean);
  for (const d of ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']) {
    if (!dirs.includes(d)) dirs.push(d);
  }
  for (const d of dirs) {
    const p = path.join(d, cmd);
    if (isExecutable(p)) return p;
  }
  return null;
}

function compareVersionsDesc(a, b) {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pb[i] || 0) - (pa[i] || 0);
    if (d) return d;
  }
  return 0;
}

/** Directories /usr/lib/postgresql/<version>/bin that hold a postgres server, newest first. */
export function findPostgresBinDirs() {
  const base = '/usr/lib/postgresql';
  let versions = [];
  try {
    versions = fs.readdirSync(base).filter((v) => /^\d+(\.\d+)?$/.test(v));
  } catch {
    /* not installed */
  }
  const dirs = versions
    .sort(compareVersionsDesc)
    .map((v) => path.join(base, v, 'bin'))
    .filter((d) => isExecutable(path.join(d, 'postgres')) && isExecutable(path.join(d, 'pg_ctl')) && isExecutable(path.join(d, 'initdb')));
  // Non-Debian layouts: initdb/pg_ctl/postgres on PATH.
  const onPath = which('pg_ctl');
  if (onPath) {
    const d = path.dirname(onPath);
    if (!dirs.includes(d) && isExecutable(path.join(d, 'postgres')) && isExecutable(path.join(d, 'initdb'))) dirs.push(d);
  }
  return dirs;
}

/** Debian clusters that can be started with pg_ctlcluster: [{ version, name }], newest first. */
export function findDebianClusters() {
  const base = '/etc/postgresql';
  if (!which('pg_ctlcluster') || !isDir(base)) return [];
  const out = [];
  for (const version of fs.readdirSync(base).sort(compareVersionsDesc)) {
    if (!isExecutable(path.join('/usr/lib/postgresql', version, 'bin', 'postgres'))) continue;
    const vdir = path.join(base, version);
    if (!isDir(vdir)) continue;
    const names = fs.readdirSync(vdir).filter((n) => fs.existsSync(path.join(vdir, n, 'postgresql.conf')));
    // The machine's own cluster is "main"; prefer it.
    names.sort((a, b) => (a === 'main' ? -1 : b === 'main' ? 1 : a.localeCompare(b)));
    for (const name of names) out.push({ version, name });
  }
  return out;
}

function lookupUser(name) {
  try {
    const line = fs
      .readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`${name}:`));
    if (!line) return null;
    const [, , uid, gid, , home] = line.split(':');
    return { name, uid: Number(uid), gid: Number(gid), home };
  } catch {
    return null;
  }
}

/**
 * Runs a command to completion (stdin ignored, output captured) with a timeout.
 * Returns { ok, status, stdout, stderr, error, cmdline }.
 * @param {string} cmd @param {string[]} [args]
 * @param {{ env?: NodeJS.ProcessEnv, cwd?: string, uid?: number, gid?: number, timeoutMs?: number }} [options]
 */
export function run(cmd, args = [], { env, cwd, uid, gid, timeoutMs = 120_000 } = {}) {
  const res = spawnSync(cmd, args, {
    env: env ? { ...process.env, ...env } : process.env,
    cwd,
    uid,
    gid,
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 16 * 1024 * 1024,
  });
  const cmdline = [cmd, ...args].map(shellQuote).join(' ');
  return {
    ok: res.status === 0 && !res.error,
    status: res.status,
    stdout: res.stdout || '',
    stderr: res.stderr || '',
    error: res.error,
    cmdline,
  };
}

function shellQuote(s) {
  if (s === '') return '""';
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${String(s).replace(/'/g, `'\\''`)}'`;
}

function lastLines(text, n = 5) {
  return String(text || '')
    .trim()
    .split('\n')
    .slice(-n)
    .join(' | ');
}

function runFailure(r) {
  if (r.error) return `${r.cmdline}: ${r.error.message}`;
  return `${r.cmdline} exited ${r.status}${r.stderr || r.stdout ? `: ${lastLines(r.stderr || r.stdout)}` : ''}`;
}

/**
 * Starts a long-running process detached from us, output appended to logFile.
 * @param {string} cmd @param {string[]} args @param {{ logFile: string, cwd?: string, uid?: number, gid?: number }} options
 */
function spawnDetached(cmd, args, { logFile, cwd, uid, gid }) {
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const fd = fs.openSync(logFile, 'a');
  try {
    const child = spawn(cmd, args, { cwd, uid, gid, detached: true, stdio: ['ignore', fd, fd] });
    child.on('error', () => {});
    child.unref();
    return child.pid;
  } finally {
    fs.closeSync(fd);
  }
}

function dataDir(repoRoot, service) {
  return path.join(repoRoot, '.data', service);
}

function logDir(repoRoot) {
  return path.join(repoRoot, '.data', 'logs');
}

function displayPath(repoRoot, p) {
  const rel = path.relative(repoRoot, p);
  return rel && !rel.startsWith('..') ? rel : p;
}

// ---------------------------------------------------------------------------
// Starting and installing
// ---------------------------------------------------------------------------

/** Returns true when the server binaries for a service are installed. */
export function isInstalled(name) {
  switch (name) {
    case 'postgres':
      return findPostgresBinDirs().length > 0;
    case 'redis':
      return which('redis-server') !== null;
    case 'nats':
      return which('nats-server') !== null;
    default:
      throw new Error(`unknown service ${name}`);
  }
}

/** The command a non-root user must run to install a service's package. */
export function installHint(name) {
  return `sudo apt-get update && sudo apt-get install -y ${SERVICES[name].apt}`;
}

function aptInstall(pkg, state, log) {
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  if (!state.aptUpdated) {
    log(`  apt-get update`);
    const u = run('apt-get', ['update'], { env, timeoutMs: 600_000 });
    if (!u.ok) return { ok: false, detail: runFailure(u) };
    state.aptUpdated = true;
  }
  log(`  apt-get install -y ${pkg}`);
  const r = run('apt-get', ['install', '-y', pkg], { env, timeoutMs: 900_000 });
  if (!r.ok) return { ok: false, detail: runFailure(r) };
  return { ok: true };
}

/**
 * Makes sure a Debian package's binary exists (e.g. coturn's turnserver): installs the package
 * when missing and we are root; otherwise resolves `{ ok: false, detail }` with the command to run.
 * @param {string} binary @param {string} pkg
 * @param {{ log?: (line: string) => void, state?: { aptUpdated?: boolean } }} [options]
 */
export function ensureAptPackage(binary, pkg, { log = () => {}, state = {} } = {}) {
  const found = which(binary);
  if (found) return { ok: true, path: found };
  if (!isRoot()) return { ok: false, detail: `${binary} is missing: sudo apt-get update && sudo apt-get install -y ${pkg}` };
  const r = aptInstall(pkg, state, log);
  if (!r.ok) return r;
  const installed = which(binary);
  return installed ? { ok: true, path: installed, installed: true } : { ok: false, detail: `${pkg} installed but ${binary} is still missing` };
}

function startPostgres({ repoRoot, log, port }) {
  const attempts = [];
  // 1. The machine's cluster (Debian layout), with the machine's own command.
  //    Only for the standard port: that is the port such a cluster listens on.
  if (port === SERVICES.postgres.port) {
    for (const c of findDebianClusters()) {
      const r = run('pg_ctlcluster', ['--skip-systemctl-redirect', c.version, c.name, 'start'], { timeoutMs: 90_000 });
      // Exit 2 = "Cluster is already running" (e.g. still starting up).
      if (r.ok || r.status === 2) return { ok: true, how: `pg_ctlcluster ${c.version} ${c.name} start` };
      attempts.push(runFailure(r));
      log(`  ${runFailure(r)}`);
    }
  }
  // 2. A private cluster under <repo>/.data/postgres.
  const bins = findPostgresBinDirs();
  if (!bins.length) return { ok: false, detail: ['no PostgreSQL server binaries found', ...attempts].join('; ') };
  const bin = bins[0];
  const logs = logDir(repoRoot);
  fs.mkdirSync(logs, { recursive: true });
  let dir = dataDir(repoRoot, 'postgres');
  let owner; // OS user to run initdb/pg_ctl as: PostgreSQL refuses to run as root
  if (isRoot()) {
    owner = lookupUser('postgres');
    if (!owner) return { ok: false, detail: 'running as root but there is no "postgres" OS user to run the server as' };
    const reachable = run('test', ['-x', path.dirname(dir)], { uid: owner.uid, gid: owner.gid });
    if (!reachable.ok) {
      // The repo is not reachable by user postgres (e.g. it lives under /root).
      dir = path.join(os.tmpdir(), `switchboard-pgdata-${path.basename(repoRoot)}-${port}`);
      log(`  ${path.dirname(dataDir(repoRoot, 'postgres'))} is not reachable by user postgres; using ${dir}`);
    }
  }
  const ids = owner ? { uid: owner.uid, gid: owner.gid } : {};
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const logFile = path.join(logs, 'postgres.log');
  if (!fs.existsSync(logFile)) fs.writeFileSync(logFile, '');
  if (owner) {
    fs.chownSync(dir, owner.uid, owner.gid);
    fs.chownSync(logFile, owner.uid, owner.gid);
  }
  fs.chmodSync(dir, 0o700);
  if (!fs.existsSync(path.join(dir, 'PG_VERSION'))) {
    const r = run(path.join(bin, 'initdb'), ['-D', dir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-locale'], {
      ...ids,
      cwd: '/',
      timeoutMs: 180_000,
    });
    if (!r.ok) return { ok: false, detail: [...attempts, runFailure(r)].join('; ') };
  }
  const opts = `-c listen_addresses=${HOST} -p ${port} -c unix_socket_directories=/tmp`;
  const r = run(path.join(bin, 'pg_ctl'), ['-D', dir, '-l', logFile, '-o', opts, '-w', '-t', '60', 'start'], {
    ...ids,
    cwd: '/',
    timeoutMs: 90_000,
  });
  if (!r.ok) return { ok: false, detail: [...attempts, `${runFailure(r)} (log: ${logFile})`].join('; ') };
  return { ok: true, how: `pg_ctl -D ${displayPath(repoRoot, dir)} start`, dataDir: dir };
}

function startRedis({ repoRoot, port }) {
  const bin = which('redis-server');
  if (!bin) return { ok: false, detail: 'redis-server not found' };
  if (port === SERVICES.redis.port && isDir('/var/lib/redis') && isDir('/var/log/redis') && isRoot()) {
    // The machine's own command.
    const args = ['--daemonize', 'yes', '--bind', '127.0.0.1', '-::1', '--port', '6379', '--save', '', '--appendonly', 'no',
      '--dir', '/var/lib/redis', '--logfile', '/var/log/redis/ci.log'];
    const r = run(bin, args, { timeoutMs: 30_000 });
    if (r.ok) return { ok: true, how: 'redis-server --daemonize yes --dir /var/lib/redis' };
    return { ok: false, detail: runFailure(r) };
  }
  const dir = dataDir(repoRoot, 'redis');
  fs.mkdirSync(dir, { recursive: true });
  fs.mkdirSync(logDir(repoRoot), { recursive: true });
  const pidFile = path.join(dir, `redis-${port}.pid`);
  const args = ['--port', String(port), '--bind', HOST, '--save', '', '--appendonly', 'no', '--daemonize', 'yes',
    '--dir', dir, '--pidfile', pidFile, '--logfile', path.join(logDir(repoRoot), `redis-${port}.log`)];
  const r = run(bin, args, { timeoutMs: 30_000 });
  if (r.ok) return { ok: true, how: `redis-server --daemonize yes --dir ${displayPath(repoRoot, dir)}`, pidFile };
  return { ok: false, detail: runFailure(r) };
}

function startNats({ repoRoot, port }) {
  const bin = which('nats-server');
  if (!bin) return { ok: false, detail: 'nats-server not found' };
  const ssd = which('start-stop-daemon');
  if (port === SERVICES.nats.port && bin === '/usr/sbin/nats-server' && isDir('/var/lib/nats-server') && ssd && isRoot()) {
    // The machine's own command.
    const args = ['--start', '--oknodo', '--background', '--exec', '/usr/sbin/nats-server', '--',
      '-a', '127.0.0.1', '-p', '4222', '-js', '-sd', '/var/lib/nats-server', '-l', '/var/log/nats-server.log'];
    const r = run(ssd, args, { timeoutMs: 30_000 });
    if (r.ok) return { ok: true, how: 'start-stop-daemon --start --background --exec /usr/sbin/nats-server -- -js -sd /var/lib/nats-server' };
    return { ok: false, detail: runFailure(r) };
  }
  const dir = dataDir(repoRoot, 'nats');
  fs.mkdirSync(dir, { recursive: true });
  const logFile = path.join(logDir(repoRoot), `nats-${port}.log`);
  const pid = spawnDetached(bin, ['-a', HOST, '-p', String(port), '-js', '-sd', dir], { logFile, cwd: repoRoot });
  return { ok: true, how: `nats-server -a ${HOST} -p ${port} -js -sd ${displayPath(repoRoot, dir)} (pid ${pid})`, pid };
}

const STARTERS = { postgres: startPostgres, redis: startRedis, nats: startNats };

async function waitFor(name, port, deadline, intervalMs = 250) {
  for (;;) {
    const last = await checkService(name, { port });
    // A server that refuses our credentials is up: waiting will not change its answer.
    if (last.ok || last.authFailed || Date.now() >= deadline) return last;
    await sleep(Math.min(intervalMs, Math.max(0, deadline - Date.now())));
  }
}

function formatLine(name, port, result) {
  const addr = `${HOST}:${port}`;
  return result.ok ? `${name} ${addr} ok (${result.how})` : `${name} ${addr} FAILED: ${result.detail}`;
}

/**
 * Creates (or resets) the project's development role on a local server that refuses it, over
 * the Unix socket as the `postgres` OS user (`peer` auth on Debian, `trust` on a private
 * cluster). Never touches a server the user pointed us at with SB_POSTGRES_URL.
 */
function provisionPostgresRole({ port, log }) {
  if (process.env.SB_POSTGRES_URL) return { ok: false, detail: 'SB_POSTGRES_URL is set: its credentials must work as given' };
  const owner = lookupUser('postgres');
  const asPostgres = isRoot() && owner ? { uid: owner.uid, gid: owner.gid } : {};
  const psql = which('psql') ?? findPostgresBinDirs().map((d) => path.join(d, 'psql')).find(isExecutable);
  if (!psql) return { ok: false, detail: 'psql not found' };
  const { user, password } = DEV_POSTGRES_ROLE;
  const sql =
    `DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${user}') THEN CREATE ROLE ${user}; END IF; END $$;` +
    ` ALTER ROLE ${user} LOGIN CREATEDB PASSWORD '${password}';`;
  const failures = [];
  for (const socketDir of ['/var/run/postgresql', '/tmp']) {
    if (!fs.existsSync(path.join(socketDir, `.s.PGSQL.${port}`))) continue;
    const r = run(psql, ['-X', '-q', '-h', socketDir, '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-c', sql], { ...asPostgres, cwd: '/', timeoutMs: 30_000 });
    if (r.ok) {
      log(`  postgres: role ${user} ready (created over ${socketDir} as OS user postgres)`);
      return { ok: true };
    }
    failures.push(runFailure(r));
  }
  return { ok: false, detail: failures.length ? failures.join('; ') : `no Unix socket for port ${port} in /var/run/postgresql or /tmp` };
}

/** A server that answers but refuses our role gets the role, then is checked again. */
async function withRole(name, port, result, log) {
  if (name !== 'postgres' || !result.authFailed) return result;
  const provisioned = provisionPostgresRole({ port, log });
  if (!provisioned.ok) return { ...result, detail: `${result.detail}; creating role ${DEV_POSTGRES_ROLE.user} failed: ${provisioned.detail}` };
  return checkService(name, { port });
}

async function ensureOne(name, { port, install, timeoutMs, repoRoot, log, state }) {
  const deadline = () => Date.now() + timeoutMs;
  const first = await withRole(name, port, await checkService(name, { port }), log);
  if (first.ok) return { ok: true, how: 'already running', detail: first.detail };

  if (first.portOpen) {
    // Something holds the port but does not answer correctly. It may still be
    // starting up; a second server could not bind the port anyway. Wait, then report.
    if (first.jetstreamOff) return { ok: false, detail: first.detail };
    const again = await withRole(name, port, await waitFor(name, port, deadline()), log);
    if (again.ok) return { ok: true, how: 'already running', detail: again.detail };
    return { ok: false, detail: `port ${port} is open but the check fails: ${again.detail}` };
  }

  let installed = '';
  if (!isInstalled(name)) {
    const pkg = SERVICES[name].apt;
    if (!isRoot() || !install) {
      return { ok: false, hint: installHint(name), detail: `${pkg} is not installed; run: ${installHint(name)}` };
    }
    log(`${name}: ${pkg} is not installed; installing it`);
    const r = aptInstall(pkg, state, log);
    if (!r.ok) return { ok: false, detail: `installing ${pkg} failed: ${r.detail}` };
    if (!isInstalled(name)) return { ok: false, detail: `${pkg} was installed but its server binary was not found` };
    installed = `installed ${pkg}, `;
    // The package's maintainer scripts may have started it already.
    const after = await withRole(name, port, await waitFor(name, port, Date.now() + 2000), log);
    if (after.ok) return { ok: true, how: `${installed}started by the package`, detail: after.detail };
  }

  const started = STARTERS[name]({ repoRoot, log, port });
  if (!started.ok) return { ok: false, detail: `could not start: ${started.detail}` };
  const ready = await withRole(name, port, await waitFor(name, port, deadline()), log);
  if (!ready.ok) {
    return { ok: false, started, detail: `started (${started.how}) but not ready after ${timeoutMs} ms: ${ready.detail}` };
  }
  return { ok: true, started, how: `${installed}started: ${started.how}`, detail: ready.detail };
}

/**
 * Makes sure PostgreSQL (5432), Redis (6379) and NATS with JetStream (4222) are
 * up on 127.0.0.1, starting or installing them when needed, then waits
 * (bounded by timeoutMs) until each answers its check. Prints one line per
 * service, e.g. `postgres 127.0.0.1:5432 ok (already running)`.
 *
 * @param {object} [opts]
 * @param {(line: string) => void} [opts.log=console.log]
 * @param {boolean} [opts.install=true]  allow `apt-get install` (only as root)
 * @param {string[]} [opts.services]  subset of ['postgres', 'redis', 'nats']
 * @param {Record<string, number>} [opts.ports]  non-standard ports (then only a private
 *   server under <repoRoot>/.data is started, never the machine's own)
 * @param {number} [opts.timeoutMs=30000]
 * @param {string} [opts.repoRoot]  where `.data/` lives
 * @returns {Promise<Record<string, {ok: true, how: string, detail: string, port: number}>>}
 * @throws {InfraError} when a service is not up at the end; `err.results` has every
 *   service's result and `hint` holds the install command a non-root user must run
 */
export async function ensureInfra({
  log = console.log,
  install = true,
  services = Object.keys(SERVICES),
  ports = {},
  timeoutMs = DEFAULT_TIMEOUT_MS,
  repoRoot = REPO_ROOT,
} = {}) {
  const state = { aptUpdated: false };
  /** @type {Record<string, any>} */
  const results = {};
  for (const name of services) {
    if (!SERVICES[name]) throw new Error(`unknown service ${name} (known: ${Object.keys(SERVICES).join(', ')})`);
    const port = ports[name] ?? SERVICES[name].port;
    let result;
    try {
      result = await ensureOne(name, { port, install, timeoutMs, repoRoot, log, state });
    } catch (err) {
      result = { ok: false, detail: err.message };
    }
    results[name] = { ...result, port };
    log(formatLine(name, port, result));
  }
  if (install) {
    for (const [name, tool] of Object.entries(TOOLS)) {
      // Missing tools are reported, not fatal: only the checks that use them fail (with the hint).
      const r = ensureAptPackage(tool.binaries[0], tool.apt, { log, state });
      log(`${name} ${r.ok ? `ok (${r.path}${r.installed ? ', installed' : ''})` : `MISSING: ${r.detail}`}`);
    }
  }
  const failed = Object.entries(results).filter(([, r]) => !r.ok);
  if (failed.length) {
    const hints = failed.map(([, r]) => r.hint).filter(Boolean);
    const msg =
      `not up: ${failed.map(([n]) => n).join(', ')}` +
      (hints.length ? `\nto install, run:\n  ${hints.join('\n  ')}` : '');
    throw new InfraError(msg, results);
  }
  return results;
}

/**
 * Checks every service without starting anything.
 * @returns {Promise<Record<string, {ok: boolean, detail: string, installed: boolean, port: number}>>}
 */
export async function infraStatus({ log = console.log, services = Object.keys(SERVICES), ports = {} } = {}) {
  /** @type {Record<string, any>} */
  const results = {};
  for (const name of services) {
    if (!SERVICES[name]) throw new Error(`unknown service ${name} (known: ${Object.keys(SERVICES).join(', ')})`);
    const port = ports[name] ?? SERVICES[name].port;
    const r = await checkService(name, { port });
    const installed = isInstalled(name);
    results[name] = { ok: r.ok, detail: r.detail, installed, port };
    const extra = !r.ok && !installed ? `; ${SERVICES[name].apt} is not installed` : '';
    log(`${name} ${HOST}:${port} ${r.ok ? 'up' : 'DOWN'} (${r.detail}${extra})`);
  }
  return results;
}

// ---------------------------------------------------------------------------
// Databases
// ---------------------------------------------------------------------------

/**
 * A Unix socket in `dir` (as `.s.PGSQL.<port>`) that forwards to the local server over TCP, so
 * processes in a network namespace of their own (browser tests) reach Postgres with the same
 * password auth as everyone else: a socket file crosses namespaces, 127.0.0.1 does not.
 * Connect with `?host=<dir>`; close() stops it.
 */
export async function postgresSocketBridge(dir, { port = SERVICES.postgres.port } = {}) {
  const target = new URL(POSTGRES_SERVER_URL);
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: target.hostname, port: Number(target.port || port) });
    client.pipe(upstream).pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end);
    upstream.on('error', end);
  });
  const socketPath = path.join(dir, `.s.PGSQL.${port}`);
  await new Promise((resolve, reject) => server.once('error', reject).listen(socketPath, () => resolve(undefined)));
  return {
    socketDir: dir,
    /** The server URL (no database) to use from inside the namespace. */
    serverUrl: `postgresql://${target.username}:${target.password}@localhost:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve(undefined))),
  };
}

/** Quotes a PostgreSQL identifier. */
export function quoteIdent(name) {
  return `"${String(name).replace(/"/g, '""')}"`;
}

/**
 * Splits a postgres URL into the database name and a connection string for
 * the maintenance database `postgres` on the same server with the same user.
 */
export function maintenanceUrl(url) {
  const u = new URL(url);
  if (!/^postgres(ql)?:$/.test(u.protocol)) throw new Error(`not a postgres URL: ${u.protocol}`);
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (!database) throw new Error('the database URL names no database');
  u.pathname = '/postgres';
  // Prisma-only parameters that pg does not understand.
  for (const p of ['schema', 'connection_limit', 'pool_timeout', 'pgbouncer', 'socket_timeout', 'connect_timeout', 'statement_cache_size']) {
    u.searchParams.delete(p);
  }
  return { database, adminUrl: u.toString() };
}

/**
 * Creates the database named in a postgres URL when it does not exist yet.
 * Safe to call concurrently.
 * @param {string} url  e.g. postgresql://switchboard:switchboard@127.0.0.1:5432/switchboard_rooms?schema=public
 * @returns {Promise<{ database: string, created: boolean }>}
 */
export async function ensureDatabase(url) {
  const { database, adminUrl } = maintenanceUrl(url);
  const client = new pg.Client({ connectionString: adminUrl, application_name: 'switchboard-ensure-db' });
  client.on('error', () => {});
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (rowCount > 0) return { database, created: false };
    try {
      await client.query(`CREATE DATABASE ${quoteIdent(database)}`);
      return { database, created: true };
    } catch (err) {
      // 42P04 duplicate_database; 23505 when two CREATE DATABASE race on the catalog index.
      if (err.code === '42P04' || err.code === '23505') return { database, created: false };
      throw err;
    }
  } finally {
    await client.end().catch(() => {});
  }
}

/** Drops the database named in a postgres URL (and ends its sessions); a missing one is fine. */
export async function dropDatabase(url) {
  const { database, adminUrl } = maintenanceUrl(url);
  const client = new pg.Client({ connectionString: adminUrl, application_name: 'switchboard-drop-db' });
  client.on('error', () => {});
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(database)} WITH (FORCE)`);
  } finally {
    await client.end().catch(() => {});
  }
}
