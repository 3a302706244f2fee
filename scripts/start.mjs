#!/usr/bin/env node
// npm start: checks (and if needed installs/starts) Redis and Postgres, starts its own NATS
// server (loopback, one user per service with the subject permissions of
// packages/platform/src/nats-permissions.ts, fresh random passwords), builds, migrates, starts
// coturn (STUN/TURN, Debian package installed when missing) and LiveKit (the SFU, built from its
// Go module once into .cache/ where Go exists), then runs every service as its own process plus
// two gateway replicas, and stops them all on Ctrl-C.
// Flags: --no-build (use existing dist/; the bundles in dist/bundle/ are refreshed if older), --quiet (no service logs), --no-sfu (no LiveKit), --no-turn (no coturn),
// --clustered (a 3-node NATS cluster on base+30..32 / routes base+33..35, else 4322..4324 / 6322..6324, room
// event streams with 3 replicas, and a Redis Cluster of 3 masters + 3 replicas on base+60..65, else 7000..7005;
// docs/operations.md "Clustered").
// Env: SB_PORT_BASE moves every port (gateways base+0/+1, services base+11.., NATS base+30 else
// 4322, coturn base+40 else 3478, LiveKit base+41/UDP base+42 else 7880/7882, the demo app
// base+50 else 8090), NATS_URL uses
// another NATS instead (with NATS_PASSWORD for every service user, if set),
// S3_ENDPOINT (+ S3_BUCKET, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY) another object store,
// REDIS_URL, ROOMS_DATABASE_URL, MEDIA_DATABASE_URL, ATTESTATION_DATABASE_URL point at other infrastructure;
// ATTESTATION_MODE (off by default) is handed to the gateways; JWT_SECRET / ADMIN_API_KEYS
// default to printed development values, GRPC_AUTH_SECRET to a random one per run. Every process
// binds 127.0.0.1 only (HTTP_HOST overrides it for HTTP; gRPC always stays on loopback).
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startNatsCluster, startRedisCluster } from './lib/cluster.mjs';
import { startCoturn } from './lib/coturn.mjs';
import { ensureAptPackage, ensureInfra, postgresDatabaseUrl, waitForPort } from './lib/infra.mjs';
import { ensureLivekit, GO_HINT, LIVEKIT_DEV_KEYS, startLivekit } from './lib/livekit.mjs';
import { s3Env, startS3 } from './lib/s3.mjs';
import { bundleEntry, bundleServices } from './bundle.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const env = process.env;
const base = env.SB_PORT_BASE ? Number(env.SB_PORT_BASE) : undefined;
const port = (standard, offset) => (base === undefined ? standard : base + offset);
const clustered = args.has('--clustered');

const devSecret = env.JWT_SECRET ?? `dev-${randomBytes(16).toString('hex')}`;
const adminKey = env.ADMIN_API_KEYS ?? `dev-admin-${randomBytes(8).toString('hex')}`;
const adminJwtSecret = env.ADMIN_JWT_SECRET ?? randomBytes(32).toString('hex');
const grpcSecret = env.GRPC_AUTH_SECRET ?? randomBytes(24).toString('hex');
const shared = {
  // Everything listens on loopback only: HTTP (metrics, health, and the gateways' /ws) and gRPC.
  HTTP_HOST: env.HTTP_HOST ?? '127.0.0.1',
  GRPC_HOST: '127.0.0.1',
  GRPC_AUTH_SECRET: grpcSecret,
  NATS_URL: env.NATS_URL ?? `nats://127.0.0.1:${port(4322, 30)}`,
  REDIS_URL: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  ...(clustered ? { ROOM_EVENTS_REPLICAS: '3', ROOM_EVENTS_STREAMS: env.ROOM_EVENTS_STREAMS ?? '3' } : {}),
  LOG_LEVEL: env.LOG_LEVEL ?? 'info',
  NODE_ENV: env.NODE_ENV ?? 'development',
};
const grpcPorts = { rooms: port(50051, 21), presence: port(50052, 22), media: port(50053, 23), attestation: port(50054, 24) };
const mediaHttp = port(9103, 13);
/**
 * One process of the stack: `service` names the package when it differs from `name` (the two
 * gateways), `entry` a main file outside services/ (the demo); `child` once started.
 * @typedef {{ name: string, service?: string, entry?: string, http: number, env: Record<string, string | undefined>,
 *   child?: import('node:child_process').ChildProcessWithoutNullStreams }} StackProcess
 */
/** @type {StackProcess[]} */
const processes = [
  { name: 'rooms', http: port(9101, 11), env: { GRPC_PORT: grpcPorts.rooms, DATABASE_URL: env.ROOMS_DATABASE_URL ?? postgresDatabaseUrl('switchboard_rooms') } },
  { name: 'presence', http: port(9102, 12), env: { GRPC_PORT: grpcPorts.presence } },
  {
    name: 'media',
    http: mediaHttp,
    env: { GRPC_PORT: grpcPorts.media, DATABASE_URL: env.MEDIA_DATABASE_URL ?? postgresDatabaseUrl('switchboard_media'), ROOMS_GRPC_URL: `127.0.0.1:${grpcPorts.rooms}` },
  },
  { name: 'attestation', http: port(9104, 14), env: { GRPC_PORT: grpcPorts.attestation, DATABASE_URL: env.ATTESTATION_DATABASE_URL ?? postgresDatabaseUrl('switchboard_attestation') } },
  ...['a', 'b'].map((replica, i) => ({
    name: `gateway-${replica}`,
    service: 'gateway',
    http: port(8080 + i, i),
    env: {
      NODE_ID: `gateway-${replica}`,
      JWT_SECRET: devSecret,
      ADMIN_API_KEYS: adminKey,
      ADMIN_JWT_SECRET: adminJwtSecret,
      STUN_URLS: env.STUN_URLS ?? '',
      ROOMS_GRPC_URL: `127.0.0.1:${grpcPorts.rooms}`,
      PRESENCE_GRPC_URL: `127.0.0.1:${grpcPorts.presence}`,
      MEDIA_GRPC_URL: `127.0.0.1:${grpcPorts.media}`,
      ATTESTATION_GRPC_URL: `127.0.0.1:${grpcPorts.attestation}`,
      ATTESTATION_MODE: env.ATTESTATION_MODE ?? 'off',
      // Listed in GET /v1/servers (signed with a per-session key unless SERVER_LIST_SIGNING_KEY is set).
      PUBLIC_URL: `ws://127.0.0.1:${port(8080 + i, i)}/ws`,
      REGION: 'local',
    },
  })),
  {
    // The demo app and admin console (apps/demo): static pages, dev-only tokens, /admin/v1 pass-through.
    name: 'demo',
    entry: 'apps/demo/dist/server/main.js',
    http: port(8090, 50),
    env: {
      DEMO_PORT: port(8090, 50),
      DEMO_HOST: env.HTTP_HOST ?? '127.0.0.1',
      GATEWAY_URLS: `ws://127.0.0.1:${port(8080, 0)}/ws,ws://127.0.0.1:${port(8081, 1)}/ws`,
      ADMIN_API_URL: `http://127.0.0.1:${port(8080, 0)}`,
      JWT_SECRET: devSecret,
    },
  },
];

const say = (msg) => console.log(`[start] ${msg}`);

function runStep(label, cmd, cmdArgs, extraEnv = {}) {
  say(label);
  const r = spawnSync(cmd, cmdArgs, { cwd: root, stdio: 'inherit', env: { ...env, ...extraEnv } });
  if (r.status !== 0) {
    say(`${label} failed (exit ${r.status})`);
    process.exit(r.status ?? 1);
  }
}

// SB_READY_TIMEOUT_MS: how long each process may take to turn ready (eight start at once; a loaded machine needs more).
async function waitReady(p, deadlineMs = Number(env.SB_READY_TIMEOUT_MS) || 60_000) {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    if (p.child.exitCode !== null) return false;
    try {
      if ((await fetch(`http://127.0.0.1:${p.http}/readyz`)).ok) return true;
    } catch {}
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

const infraNeeded = clustered ? ['postgres'] : env.NATS_URL ? undefined : ['postgres', 'redis'];
await ensureInfra({ log: (l) => say(l), timeoutMs: 60_000, services: infraNeeded }).catch((err) => {
  console.error(`[start] infrastructure is not available: ${err.message}`);
  process.exit(1);
});

// Media servers: coturn (STUN + TURN REST credentials) and LiveKit. Either may be missing; the
// stack then runs without it and says so (hello.iceServers empty / SFU verbs `unavailable`).
const sidecars = [];
const media = processes.find((p) => p.name === 'media');
const gateways = processes.filter((p) => p.service === 'gateway');
if (!args.has('--no-turn') && !env.TURN_URLS) {
  const pkg = ensureAptPackage('turnserver', 'coturn', { log: (l) => say(l) });
  if (!pkg.ok) say(`coturn: ${pkg.detail}; running without STUN/TURN`);
  else {
    try {
      const turn = await startCoturn({ port: port(3478, 40), secret: env.TURN_SECRET ?? `dev-turn-${randomBytes(16).toString('hex')}` });
      sidecars.push(turn);
      Object.assign(media.env, { STUN_URLS: turn.stunUrl, TURN_URLS: turn.turnUrl, TURN_SECRET: turn.secret });
      for (const g of gateways) g.env.STUN_URLS = env.STUN_URLS || turn.stunUrl;
      say(`coturn 127.0.0.1:${turn.port} ok (use-auth-secret)`);
    } catch (err) {
      say(`coturn did not start: ${err.message}`);
    }
  }
}
// Object storage (attachments, emoji, voice recordings): s3rver on loopback unless S3_ENDPOINT
// names another store; without one those verbs answer `unavailable`.
let s3Url = env.S3_ENDPOINT;
if (!env.S3_ENDPOINT) {
  try {
    const s3 = await startS3({ port: port(4568, 43) });
    sidecars.push(s3);
    s3Url = s3.endpoint;
    for (const p of processes) if (p.name === 'rooms' || p.name === 'media') Object.assign(p.env, s3Env(s3));
    say(`S3 (s3rver) ${s3.endpoint} ok, bucket ${s3.bucket}`);
  } catch (err) {
    say(`S3 store did not start: ${err.message}`);
  }
}
let livekitUrl;
if (!args.has('--no-sfu') && !env.LIVEKIT_URL) {
  const built = await ensureLivekit({ log: (l) => say(l) });
  if (!built.ok) {
    say(`LiveKit: ${built.reason}`);
    if (!/go is not installed/.test(built.reason)) say(GO_HINT);
    media.env.LIVEKIT_UNAVAILABLE_REASON = built.reason.slice(0, 1500);
  } else {
    try {
      const turn = sidecars[0];
      const lk = await startLivekit({
        binary: built.binary,
        port: port(7880, 41),
        udpPort: port(7882, 42),
        webhookUrl: `http://127.0.0.1:${mediaHttp}/livekit/webhook`,
        stunServers: turn ? [`127.0.0.1:${turn.port}`] : [],
      });
      sidecars.push(lk);
      livekitUrl = lk.url;
      Object.assign(media.env, { LIVEKIT_URL: lk.url, LIVEKIT_API_KEY: LIVEKIT_DEV_KEYS.apiKey, LIVEKIT_API_SECRET: LIVEKIT_DEV_KEYS.apiSecret });
      say(`LiveKit ${lk.url} ok (dev mode, loopback only; log ${lk.logFile})`);
    } catch (err) {
      say(`LiveKit did not start: ${err.message.slice(0, 500)}`);
      media.env.LIVEKIT_UNAVAILABLE_REASON = `LiveKit did not start: ${err.message.slice(0, 300)}`;
    }
  }
} else if (env.LIVEKIT_URL) {
  livekitUrl = env.LIVEKIT_URL;
  for (const k of ['LIVEKIT_URL', 'LIVEKIT_API_KEY', 'LIVEKIT_API_SECRET']) if (env[k]) media.env[k] = env[k];
}
if (!args.has('--no-build')) runStep('building (proto + prisma generate + tsc -b + bundles)', 'npm', ['run', '--silent', 'build']);
// Each service runs from its bundle (ADR 0093): with --no-build, made again when older than dist/.
else if (await bundleServices({ ifStale: true })) say('bundled the services again (dist/ was newer)');
const databaseOf = (name) => processes.find((p) => p.name === name).env.DATABASE_URL;
runStep('applying database migrations', process.execPath, ['scripts/db-migrate.mjs'], {
  ROOMS_DATABASE_URL: databaseOf('rooms'),
  MEDIA_DATABASE_URL: databaseOf('media'),
  ATTESTATION_DATABASE_URL: databaseOf('attestation'),
});

/** Per-user NATS passwords: fresh ones for our own server, else NATS_PASSWORD (if any) for all. */
const natsPasswords = {};
let natsServer;
/** --clustered: the NATS cluster and the Redis Cluster, stopped with the rest. */
const clusters = [];
if (clustered) {
  const { NATS_USERS, natsServerConfig, natsServerUsers } = await import('../packages/platform/dist/nats-permissions.js');
  for (const u of NATS_USERS) natsPasswords[u] = randomBytes(18).toString('base64url');
  const users = natsServerUsers(natsPasswords);
  try {
    const [nats, redis] = await Promise.all([
      startNatsCluster({
        ports: { client: [0, 1, 2].map((i) => port(4322 + i, 30 + i)), cluster: [0, 1, 2].map((i) => port(6322 + i, 33 + i)) },
        config: (n) => natsServerConfig({ host: '127.0.0.1', port: n.port, storeDir: n.storeDir, users, cluster: { name: n.clusterName, serverName: n.serverName, port: n.clusterPort, routes: n.routes } }),
      }),
      startRedisCluster({ ports: [0, 1, 2, 3, 4, 5].map((i) => port(7000 + i, 60 + i)) }),
    ]);
    clusters.push(nats, redis);
    shared.NATS_URL = nats.urls;
    shared.REDIS_URL = redis.url;
    say(`NATS cluster ${nats.urls} (JetStream on 3 nodes, room event streams R3; log ${nats.logFile})`);
    say(`Redis Cluster ${redis.url} (3 masters + 3 replicas)`);
  } catch (err) {
    say(`clustered infrastructure did not start: ${err.message}`);
    await Promise.all(clusters.map((c) => c.stop()));
    process.exit(1);
  }
} else if (!env.NATS_URL) {
  const { NATS_USERS, natsServerConfig, natsServerUsers } = await import('../packages/platform/dist/nats-permissions.js');
  for (const u of NATS_USERS) natsPasswords[u] = randomBytes(18).toString('base64url');
  const natsPort = port(4322, 30);
  const dir = join(root, '.data', `nats-start-${natsPort}`);
  mkdirSync(join(root, '.run'), { recursive: true });
  mkdirSync(dir, { recursive: true });
  const configFile = join(dir, 'nats.conf');
  writeFileSync(configFile, natsServerConfig({ host: '127.0.0.1', port: natsPort, storeDir: dir, users: natsServerUsers(natsPasswords) }), { mode: 0o600 });
  const logFile = join(root, '.run', `nats-start-${natsPort}.log`);
  say(`NATS on 127.0.0.1:${natsPort} (users per service with subject permissions; log ${logFile})`);
  natsServer = spawn('nats-server', ['-c', configFile, '-l', logFile], { cwd: root, stdio: 'ignore' });
  natsServer.on('error', (err) => say(`nats-server failed to start: ${err.message} (npm run setup installs it)`));
  await waitForPort(natsPort, 15_000).catch(() => {
    say(`nats-server did not listen on ${natsPort}; see ${logFile}`);
    natsServer.kill('SIGTERM');
    process.exit(1);
  });
}

let stopping = false;
for (const p of processes) {
  const natsUser = p.service ?? p.name;
  const natsPassword = env.NATS_URL && !clustered ? env.NATS_PASSWORD : natsPasswords[natsUser];
  const childEnv = {
    ...env,
    ...shared,
    ...Object.fromEntries(Object.entries(p.env).map(([k, v]) => [k, String(v)])),
    HTTP_PORT: String(p.http),
    NATS_USER: natsUser,
    ...(natsPassword ? { NATS_PASSWORD: natsPassword } : {}),
  };
  p.child = spawn(process.execPath, [p.entry ? join(root, p.entry) : bundleEntry(p.service ?? p.name)], { cwd: root, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  for (const stream of [p.child.stdout, p.child.stderr]) {
    let buf = '';
    stream.on('data', (d) => {
      buf += d;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        if (!args.has('--quiet')) console.log(`${p.name.padEnd(12)}| ${buf.slice(0, nl)}`);
        buf = buf.slice(nl + 1);
      }
    });
  }
  p.child.on('exit', (code, signal) => {
    if (!stopping) say(`${p.name} exited (${signal ?? code}); the rest keeps running, Ctrl-C stops all`);
  });
}

const ready = await Promise.all(processes.map((p) => waitReady(p)));
processes.forEach((p, i) => !ready[i] && say(`${p.name} did not become ready`));
say('');
say('Switchboard is up:');
say(`  WebSocket      ws://127.0.0.1:${processes[4].http}/ws   ws://127.0.0.1:${processes[5].http}/ws`);
say(`  Admin REST     http://127.0.0.1:${processes[4].http}/admin/v1   (X-Api-Key: ${env.ADMIN_API_KEYS ? '<ADMIN_API_KEYS>' : adminKey})`);
say(`  Mint a token   curl -XPOST -H 'X-Api-Key: ${env.ADMIN_API_KEYS ? '<key>' : adminKey}' -H 'content-type: application/json' -d '{"userId":"alice"}' http://127.0.0.1:${processes[4].http}/admin/v1/tokens`);
for (const p of processes.filter((x) => !x.entry)) say(`  ${p.name.padEnd(12)} http://127.0.0.1:${p.http}/metrics${p.env.GRPC_PORT ? `   grpc 127.0.0.1:${p.env.GRPC_PORT}` : ''}`);
say(`  Demo app       http://127.0.0.1:${port(8090, 50)}/   admin console http://127.0.0.1:${port(8090, 50)}/admin/ (dev tokens ${shared.NODE_ENV === 'production' ? 'off' : 'on'})`);
say(`  SFU (LiveKit)  ${livekitUrl ?? `none (${media.env.LIVEKIT_UNAVAILABLE_REASON ?? 'disabled'})`}`);
say(`  STUN/TURN      ${media.env.TURN_URLS ?? 'none'}`);
say(`  S3 storage     ${s3Url ?? 'none'}`);
say(ready.every(Boolean) ? 'all processes ready; Ctrl-C stops everything' : 'some processes are not ready (see above)');

async function stopAll(signal) {
  if (stopping) return;
  stopping = true;
  say(`${signal}: stopping all processes`);
  await Promise.all(
    processes.map(
      (p) =>
        new Promise((resolve) => {
          if (p.child.exitCode !== null || p.child.signalCode) return resolve(undefined);
          const force = setTimeout(() => p.child.kill('SIGKILL'), 15_000);
          p.child.once('exit', () => {
            clearTimeout(force);
            resolve(undefined);
          });
          p.child.kill('SIGTERM');
        }),
    ),
  );
  await Promise.all([...sidecars, ...clusters].map((s) => s.stop().catch(() => undefined)));
  if (natsServer && natsServer.exitCode === null) {
    const exited = new Promise((resolve) => natsServer.once('exit', resolve));
    natsServer.kill('SIGTERM');
    await exited;
  }
  say('stopped');
  process.exit(0);
}
process.on('SIGINT', () => stopAll('SIGINT'));
process.on('SIGTERM', () => stopAll('SIGTERM'));
