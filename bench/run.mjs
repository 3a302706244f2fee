#!/usr/bin/env node
// npm run bench [-- --quick] [--only idle|relay|fanout|join|reconnect[,…]] [--target switchboard|socketio|peerjs|all]
//
// Starts each target on private loopback infrastructure, runs the scenarios with a load
// generator in its own process (bench/loadgen.mjs), samples CPU/RSS of every server process from
// /proc during each measured window, prints one table per scenario and the ratios, and writes
// bench/results/latest-<mode>.{md,json}. Everything it starts is stopped on exit, error or Ctrl-C.
import { fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ProcSampler, machineDescription } from './lib/proc.mjs';
import { fmtBytes, fmtMs, fmtPct, fmtRate, table } from './lib/stats.mjs';
import {
  ROOT,
  cleanupAll,
  ensureBuilt,
  installExitHandlers,
  startDatabase,
  startNats,
  startPeerJs,
  startRedis,
  startSocketIo,
  startSwitchboard,
} from './lib/stack.mjs';

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
const opt = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 && argv[i + 1] ? argv[i + 1] : dflt;
};
if (flag('--help') || flag('-h')) {
  console.log('usage: npm run bench -- [--quick] [--only idle,relay,fanout,join,reconnect] [--target switchboard|socketio|peerjs|all]');
  process.exit(0);
}
const quick = flag('--quick');
const mode = quick ? 'quick' : 'full';
const ALL_SCENARIOS = ['idle', 'relay', 'fanout', 'join', 'reconnect'];
const only = opt('--only', ALL_SCENARIOS.join(',')).split(',').map((s) => s.trim());
for (const s of only) if (!ALL_SCENARIOS.includes(s)) throw new Error(`unknown scenario ${s} (known: ${ALL_SCENARIOS.join(', ')})`);
const targetArg = opt('--target', 'all');
const TARGETS = ['switchboard', 'socketio', 'peerjs'];
const targets = targetArg === 'all' ? TARGETS : targetArg.split(',');
for (const t of targets) if (!TARGETS.includes(t)) throw new Error(`unknown target ${t} (known: ${TARGETS.join(', ')}, all)`);

/** Which scenarios each target takes part in (PeerJS only has 1:1 relay; resume is Switchboard's). */
const APPLIES = {
  switchboard: ['idle', 'relay', 'fanout', 'join', 'reconnect'],
  socketio: ['idle', 'relay', 'fanout', 'join'],
  peerjs: ['relay'],
};

const PARAMS = {
  quick: {
    idle: { maxConns: 500, step: 250, memBoundBytes: 2 * 2 ** 30, pingP99BoundMs: 100, connectP99BoundMs: 3000 },
    relay: { pairs: 20, startRate: 250, maxSteps: 5, stepMs: 1000, p99BoundMs: 20 },
    fanout: { sizes: [10, 100], memberBudget: 200, sendersPerRoom: 2, startDeliveries: 1000, maxSteps: 3, stepMs: 1000, p99BoundMs: 50 },
    join: { clients: 200, roomSize: 10, concurrency: 100 },
    reconnect: { victims: 200, roomSize: 10, msgRate: 100, jitterMs: 500, resumeTimeoutMs: 30_000 },
  },
  full: {
    idle: { maxConns: 18_000, step: 1000, memBoundBytes: 2 * 2 ** 30, pingP99BoundMs: 100, connectP99BoundMs: 3000 },
    relay: { pairs: 100, startRate: 250, maxSteps: 8, stepMs: 5000, p99BoundMs: 20 },
    fanout: { sizes: [10, 100, 1000], memberBudget: 1000, sendersPerRoom: 2, startDeliveries: 1000, maxSteps: 7, stepMs: 4000, p99BoundMs: 50 },
    join: { clients: 2000, roomSize: 10, concurrency: 200 },
    reconnect: { victims: 2000, roomSize: 10, msgRate: 200, jitterMs: 1000, resumeTimeoutMs: 60_000 },
  },
}[mode];

const say = (m) => console.log(`[bench] ${m}`);
const JWT_SECRET = `bench-${randomBytes(16).toString('hex')}`;
const ADMIN_KEY = `bench-admin-${randomBytes(8).toString('hex')}`;

installExitHandlers();
const machine = machineDescription();
const started = new Date();
const header = [
  `Switchboard benchmarks (${mode} mode) — ${started.toISOString()}`,
  `machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memGiB.toFixed(1)} GiB RAM, ${machine.os}, kernel ${machine.kernel}, Node ${machine.node}, load average at start ${machine.load}`,
  `command: npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`,
];
for (const l of header) say(l);

const perProcess = (pids) => Object.fromEntries(Object.entries(pids).map(([name, pid]) => [`proc:${name}`, [pid]]));
const byProcess = (w) =>
  Object.entries(w ?? {})
    .filter(([g]) => g.startsWith('proc:'))
    .map(([g, v]) => [g.slice(5), v.cpuPct])
    .filter(([, cpu]) => cpu >= 1)
    .sort((a, b) => b[1] - a[1])
    .map(([name, cpu]) => `${name} ${cpu.toFixed(0)}%`)
    .join(', ');
const loads = [];
const results = []; // { target, scenario, key, …row, gateway, servers }

/** Postgres backends serving our database, so their CPU counts as Switchboard's. */
async function postgresBackends(databaseUrl) {
  const { default: pg } = await import('pg');
  const u = new URL(databaseUrl);
  const name = u.pathname.slice(1);
  u.pathname = '/postgres';
  const client = new pg.Client({ connectionString: u.toString() });
  try {
    await client.connect();
    const { rows } = await client.query('SELECT pid FROM pg_stat_activity WHERE datname = $1', [name]);
    return rows.map((r) => r.pid);
  } catch {
    return [];
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function runLoadgen(target, scenario, env) {
  if (env.refresh) await env.refresh();
  return new Promise((resolve) => {
    const child = fork(join(ROOT, 'bench/loadgen.mjs'), [], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const samplers = new Map();
    const windows = new Map();
    const timeoutMs = quick ? 90_000 : 20 * 60_000;
    const timer = setTimeout(() => {
      say(`${target}/${scenario}: load generator timed out after ${timeoutMs / 1000} s`);
      child.kill('SIGKILL');
      resolve({ error: 'timed out' });
    }, timeoutMs);
    child.on('message', (m) => {
      if (m.type === 'mark' && m.phase === 'start') {
        samplers.set(m.label, new ProcSampler(env.groups).start());
        child.send({ type: 'ack' });
      } else if (m.type === 'mark' && m.phase === 'end') {
        windows.set(m.label, samplers.get(m.label)?.stop());
        child.send({ type: 'ack' });
      } else if (m.type === 'kill') {
        const pid = env.pids[m.which];
        const at = Date.now();
        try {
          process.kill(pid, 'SIGKILL');
          say(`${target}/${scenario}: SIGKILL ${m.which} (pid ${pid})`);
        } catch (err) {
          say(`could not kill ${m.which}: ${err.message}`);
        }
        env.killed = m.which;
        child.send({ type: 'ack', at });
      } else if (m.type === 'result') {
        clearTimeout(timer);
        resolve({ ...m, windows });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ error: `load generator exited (${code}) without a result`, windows });
    });
    child.send({ scenario, target, urls: env.urls, pids: env.pids, idlePidName: env.idlePidName, jwtSecret: JWT_SECRET, params: PARAMS[scenario] });
  });
}

async function runTarget(target) {
  const scenarios = ALL_SCENARIOS.filter((s) => only.includes(s) && APPLIES[target].includes(s));
  if (!scenarios.length) return;
  say(`── ${target}: starting (${scenarios.join(', ')})`);
  const t0 = Date.now();
  const load0 = os.loadavg()[0];
  const stops = [];
  let env;
  try {
    if (target === 'switchboard') {
      await ensureBuilt(say);
      const [nats, redis, databaseUrl] = await Promise.all([startNats(), startRedis(), startDatabase(say)]);
      stops.push(() => import('./lib/stack.mjs').then(({ stopChild }) => Promise.all([stopChild(nats.child), stopChild(redis.child)])));
      const sb = await startSwitchboard({ natsUrl: nats.url, redisUrl: redis.url, databaseUrl, jwtSecret: JWT_SECRET, adminKey: ADMIN_KEY, extraEnv: { DRAIN_GRACE_MS: '500' }, log: say });
      stops.unshift(() => sb.stop());
      const gw = [sb.pids['gateway-a'], sb.pids['gateway-b']];
      const servers = [...Object.values(sb.pids), nats.child.pid, redis.child.pid];
      env = {
        urls: sb.urls,
        pids: sb.pids,
        idlePidName: 'gateway-a',
        async refresh() {
          const pgPids = await postgresBackends(databaseUrl);
          env.groups.servers = [...servers, ...pgPids];
          env.groups['proc:postgres'] = pgPids;
        },
        groups: { gateway: gw, idleProc: [sb.pids['gateway-a']], servers: [...Object.values(sb.pids), nats.child.pid, redis.child.pid], ...perProcess({ ...sb.pids, nats: nats.child.pid, redis: redis.child.pid }) },
      };
    } else if (target === 'socketio') {
      const redis = await startRedis();
      const sio = await startSocketIo({ redisUrl: redis.url, jwtSecret: JWT_SECRET });
      stops.push(() => sio.stop(), () => import('./lib/stack.mjs').then(({ stopChild }) => stopChild(redis.child)));
      env = {
        urls: sio.urls,
        pids: sio.pids,
        idlePidName: 'socketio-0',
        groups: { gateway: Object.values(sio.pids), idleProc: [sio.pids['socketio-0']], servers: [...Object.values(sio.pids), redis.child.pid], ...perProcess({ ...sio.pids, redis: redis.child.pid }) },
      };
    } else {
      const peer = await startPeerJs();
      stops.push(() => peer.stop());
      env = { urls: peer.urls, pids: peer.pids, groups: { gateway: Object.values(peer.pids), servers: Object.values(peer.pids) } };
    }
    say(`${target} up in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    for (const scenario of scenarios) {
      const s0 = Date.now();
      say(`${target}: ${scenario}…`);
      const r = await runLoadgen(target, scenario, env);
      if (r.error) {
        say(`${target}/${scenario} failed: ${r.error}`);
        results.push({ target, scenarioId: scenario, scenario, key: scenario, error: r.error.split('\n')[0] });
        continue;
      }
      for (const row of r.rows) {
        const w = r.windows.get(row.window);
        const groups = row.window === 'idle' ? { gateway: w?.idleProc } : w ?? {};
        results.push({ target, scenarioId: scenario, key: row.key ?? scenario, ...row, gateway: groups.gateway, servers: w?.servers, cpuByProcess: byProcess(w) });
      }
      say(`${target}: ${scenario} done in ${((Date.now() - s0) / 1000).toFixed(1)} s`);
    }
  } catch (err) {
    say(`${target} could not run: ${err.stack ?? err}`);
    results.push({ target, scenarioId: 'start', scenario: 'start-up', key: 'start', error: String(err.message ?? err).split('\n')[0] });
  } finally {
    for (const stop of stops) await stop().catch(() => undefined);
    loads.push(`${target} ${load0.toFixed(1)} → ${os.loadavg()[0].toFixed(1)} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  }
}


for (const t of targets) await runTarget(t);
await cleanupAll();

// ---------------------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------------------

const TITLES = {
  idle: '1. Idle capacity — authenticated connections held on one server process',
  relay: '2. Signaling relay — offer/answer/ICE bursts between pairs on different replicas; relays/s at p99 ≤ 20 ms',
  fanout: '3. Room fan-out — broadcast and chat; deliveries/s at p99 ≤ 50 ms',
  join: '4. Join storm — clients connect and join rooms as fast as possible',
  reconnect: '5. Reconnect storm — SIGKILL one gateway replica under load; clients resume on the other',
};
const HEAD = ['target', 'scenario', 'throughput', 'p50 ms', 'p95 ms', 'p99 ms', 'errors', 'gateway RSS', 'gateway CPU', 'all server CPU', 'loadgen CPU'];
const rowCells = (r) =>
  r.error || r.na
    ? [r.target, r.scenario, r.na ?? `failed: ${r.error}`, '', '', '', '', '', '', '', '']
    : [
        r.target,
        r.scenario,
        `${r.saturated === false ? '≥ ' : ''}${fmtRate(r.throughput)} ${r.unit}${r.withinBound === false ? ' (bound not met)' : ''}`,
        fmtMs(r.p50),
        fmtMs(r.p95),
        fmtMs(r.p99),
        String(r.errors ?? 0),
        fmtBytes(r.gateway?.peakRss),
        fmtPct(r.gateway?.cpuPct),
        fmtPct(r.servers?.cpuPct),
        fmtPct(r.loadgenCpu),
      ];

const out = [];
for (const l of header) out.push(l);
out.push(`machine load (1-min load average, ${machine.cores} cores) at the start → end of each target: ${loads.join('; ')}. Other work on the machine shows up as noise; compare targets measured under similar load.`);
out.push('', 'gateway RSS/CPU: both gateway replicas together (Socket.IO: both instances; PeerJS: its one process); scenario 1 uses one process only.',
  'all server CPU: every server-side process of the target (Switchboard: 2 gateways, rooms, presence, media, attestation, NATS, Redis and the Postgres backends serving its database; Socket.IO: 2 instances + Redis). 100% = one core.',
  '"≥" marks a result where every offered load step met the bound: the target was not saturated, the number is a lower bound.');
for (const s of ALL_SCENARIOS) {
  const rows = results.filter((r) => r.scenarioId === s);
  if (!rows.length) continue;
  out.push('', `### ${TITLES[s]}`, '', table([HEAD, ...rows.map(rowCells)]));
  const notes = rows.filter((r) => r.notes).map((r) => `- ${r.target} · ${r.scenario}: ${r.notes}${r.cpuByProcess ? `; server CPU by process: ${r.cpuByProcess}` : ''}`);
  if (notes.length) out.push('', ...notes);
}
const startupErrors = results.filter((r) => r.scenarioId === 'start');
if (startupErrors.length) out.push('', '### Start-up failures', '', ...startupErrors.map((r) => `- ${r.target}: ${r.error}`));

// Ratios: Switchboard / reference on the same key.
const byKey = (target) => new Map(results.filter((r) => r.target === target && !r.error && !r.na && r.throughput !== undefined).map((r) => [r.key, r]));
const sb = byKey('switchboard');
const ratioRows = [['comparison', 'scenario', 'throughput ratio', 'p50 ratio', 'p99 ratio', 'gateway CPU ratio', 'all server CPU ratio']];
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}×` : '–');
for (const [ref, label] of [['socketio', 'Switchboard / Socket.IO'], ['peerjs', 'Switchboard / PeerJS']]) {
  for (const [key, r] of byKey(ref)) {
    if (key === 'idle') continue;
    const s = sb.get(key);
    if (!s) continue;
    let tput = ratio(s.throughput, r.throughput);
    if (s.saturated === false && r.saturated === false) tput = `${tput} (neither saturated: both ≥ the highest offered load)`;
    else if (s.saturated === false) tput = `≥ ${tput}`;
    else if (r.saturated === false) tput = `≤ ${tput}`;
    ratioRows.push([label, s.scenario.replace(/ \(.*\)$/, ''), tput, ratio(s.p50, r.p50), ratio(s.p99, r.p99), ratio(s.gateway?.cpuPct, r.gateway?.cpuPct), ratio(s.servers?.cpuPct, r.servers?.cpuPct)]);
  }
}
if (ratioRows.length > 1) {
  out.push('', '### Ratios (throughput > 1× means Switchboard is faster; latency < 1× means Switchboard is faster)', '', table(ratioRows));
}
const sbIdle = sb.get('idle');
const sioIdle = byKey('socketio').get('idle');
if (sbIdle && sioIdle) out.push('', `Memory per idle connection: Switchboard gateway ${(sbIdle.bytesPerConn / 1024).toFixed(1)} KiB vs Socket.IO instance ${(sioIdle.bytesPerConn / 1024).toFixed(1)} KiB (${ratio(sbIdle.bytesPerConn, sioIdle.bytesPerConn)}).`);
const hot = results.filter((r) => r.loadgenCpu > 90);
if (hot.length) out.push('', `Note: the load generator used > 90% of a core in: ${hot.map((r) => `${r.target}/${r.scenario}`).join(', ')} — those rows may be limited by the load generator.`);
out.push('', `total time ${((Date.now() - started.getTime()) / 1000).toFixed(0)} s`);

const text = out.join('\n');
console.log(`\n${text}\n`);
const dir = join(ROOT, 'bench/results');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, `latest-${mode}.md`), `${text}\n`);
writeFileSync(join(dir, `latest-${mode}.json`), JSON.stringify({ machine, mode, argv, started, results }, null, 2));
say(`written bench/results/latest-${mode}.md and .json`);
process.exit(results.some((r) => r.error) ? 1 : 0);
