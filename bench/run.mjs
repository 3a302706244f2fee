#!/usr/bin/env node
// npm run bench [-- --quick] [--only idle|relay|fanout|join|reconnect|lobby[,…]]
//               [--target switchboard|socketio|centrifugo|peerjs|all] [--repeats N] [--cpu-prof]
//
// Starts every target on private loopback infrastructure at once, then runs each scenario
// `--repeats` times, interleaving the targets (A, B, C, A, B, C, …) so that load from the rest of
// the machine hits them alike. A load generator runs in its own process (bench/loadgen.mjs) per
// run; the orchestrator samples CPU (utime+stime from /proc/<pid>/stat) and RSS of every server
// process of the target during each measured window and reports, beside the highest passing
// step, the server CPU per 1,000 delivered events at a fixed offered load no target saturates.
// Writes bench/results/latest-<mode>.{md,json}. Everything it starts is stopped on exit, error or
// Ctrl-C. Exit code 1 when a scenario could not run or a fixed-load window / the reconnect storm
// lost messages (the CI smoke test, .ci/run); never because of a timing.
import { fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ProcSampler, machineDescription, raiseFdLimit } from './lib/proc.mjs';
import { fmtBytes, fmtMs, fmtRate, table } from './lib/stats.mjs';
import { ensureCentrifugo, startCentrifugo, CENTRIFUGO_VERSION } from './lib/centrifugo.mjs';
import {
  ROOT,
  cleanupAll,
  ensureBuilt,
  installExitHandlers,
  onCleanup,
  postgresBackends,
  startDatabase,
  startNats,
  startPeerJs,
  startRedis,
  startSocketIo,
  startSwitchboard,
  stopChild,
} from './lib/stack.mjs';

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
const opt = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 && argv[i + 1] ? argv[i + 1] : dflt;
};
if (flag('--help') || flag('-h')) {
  console.log('usage: npm run bench -- [--quick] [--only idle,relay,fanout,join,reconnect,lobby] [--target switchboard,socketio,centrifugo,peerjs|all] [--repeats N] [--fixed-ms N] [--jitter-ms N] [--cpu-prof]');
  process.exit(0);
}
const quick = flag('--quick');
const mode = quick ? 'quick' : 'full';
// The reconnect storm SIGKILLs a gateway replica: it runs last.
const ALL_SCENARIOS = ['idle', 'relay', 'fanout', 'join', 'lobby', 'reconnect'];
const only = opt('--only', ALL_SCENARIOS.join(',')).split(',').map((s) => s.trim());
for (const s of only) if (!ALL_SCENARIOS.includes(s)) throw new Error(`unknown scenario ${s} (known: ${ALL_SCENARIOS.join(', ')})`);
const targetArg = opt('--target', 'all');
const TARGETS = ['switchboard', 'socketio', 'centrifugo', 'peerjs'];
const targets = targetArg === 'all' ? TARGETS : targetArg.split(',');
for (const t of targets) if (!TARGETS.includes(t)) throw new Error(`unknown target ${t} (known: ${TARGETS.join(', ')}, all)`);
/** Step searches and the join storm are repeated; idle capacity and the reconnect storm (it kills a replica) run once. */
const REPEATED = new Set(['relay', 'fanout', 'join']);
const repeats = Math.max(1, Number(opt('--repeats', quick ? 1 : 3)));
const cpuProf = flag('--cpu-prof');

/** Which scenarios each target takes part in (PeerJS only has 1:1 relay; resume and the live room registry are Switchboard's). */
const APPLIES = {
  switchboard: ['idle', 'relay', 'fanout', 'join', 'lobby', 'reconnect'],
  socketio: ['idle', 'relay', 'fanout', 'join'],
  centrifugo: ['idle', 'relay', 'fanout', 'join'],
  peerjs: ['relay'],
};

// fixedRate / fixedDeliveries: the offered load of the CPU-per-1,000-events window, far below
// what any target saturates at (Switchboard's relay passed 2,000/s and chat in rooms of 10
// 2,000 deliveries/s on the documented run), so CPU time measures work, not queueing.
const PARAMS = {
  // Quick is CI's smoke test (< 2 min for all targets): one fixed window and a step or two each.
  quick: {
    idle: { maxConns: 500, step: 250, memBoundBytes: 2 * 2 ** 30, pingP99BoundMs: 100, connectP99BoundMs: 3000 },
    relay: { pairs: 20, fixedRate: 200, fixedMs: 1000, startRate: 250, maxSteps: 2, stepMs: 1000, p99BoundMs: 20 },
    fanout: { sizes: [10, 100], memberBudget: 200, sendersPerRoom: 2, fixedDeliveries: 500, fixedMs: 1000, startDeliveries: 1000, maxSteps: 1, stepMs: 1000, p99BoundMs: 50 },
    join: { clients: 200, roomSize: 10, concurrency: 100 },
    reconnect: { victims: 200, roomSize: 10, msgRate: 100, jitterMs: 500, resumeTimeoutMs: 30_000 },
    lobby: { watcherCounts: [100], createRate: 2, joinRate: 10, joinersPerRoom: 5, durationMs: 4000, settleMs: 10_000, concurrency: 100 },
  },
  full: {
    idle: { maxConns: 100_000, step: 2000, memBoundBytes: 4 * 2 ** 30, pingP99BoundMs: 100, connectP99BoundMs: 3000 },
    relay: { pairs: 100, fixedRate: 500, fixedMs: 10_000, startRate: 250, maxSteps: 8, stepMs: 5000, p99BoundMs: 20 },
    fanout: { sizes: [10, 100, 1000], memberBudget: 1000, sendersPerRoom: 2, fixedDeliveries: 1000, fixedMs: 10_000, startDeliveries: 1000, maxSteps: 7, stepMs: 4000, p99BoundMs: 50 },
    join: { clients: 2000, roomSize: 10, concurrency: 200 },
    reconnect: { victims: 2000, roomSize: 10, msgRate: 200, jitterMs: 1000, resumeTimeoutMs: 60_000 },
    // Watchers × churn (ADR 0024): every create and join changes the registry; coalescing holds each watcher to ≤ 1 frame/s.
    lobby: { watcherCounts: [1000, 5000], createRate: 5, joinRate: 40, joinersPerRoom: 10, durationMs: 15_000, settleMs: 20_000, concurrency: 200 },
  },
}[mode];
// --fixed-ms: a longer fixed-load window (e.g. for --cpu-prof in quick mode).
if (opt('--fixed-ms')) for (const sc of ['relay', 'fanout']) PARAMS[sc].fixedMs = Number(opt('--fixed-ms'));
// --jitter-ms: how widely the reconnect storm's victims spread their reconnects (ADR 0096).
if (opt('--jitter-ms')) PARAMS.reconnect.jitterMs = Number(opt('--jitter-ms'));
/** Open files each process may hold: the idle scenario's connections plus headroom (see docs/operations.md). */
const FD_LIMIT = 262_144;

const say = (m) => console.log(`[bench] ${m}`);
const JWT_SECRET = `bench-${randomBytes(16).toString('hex')}`;
const ADMIN_KEY = `bench-admin-${randomBytes(8).toString('hex')}`;

installExitHandlers();
const fds = raiseFdLimit(FD_LIMIT);
// Where the hard limit cannot be raised (no CAP_SYS_RESOURCE), idle capacity stops below it:
// the gateway and the load generator each hold one file per connection.
const fdCapped = PARAMS.idle.maxConns > fds.soft - 1000;
if (fdCapped) PARAMS.idle.maxConns = Math.max(100, fds.soft - 1000);
const machine = machineDescription();
const started = new Date();
const header = [
  `Switchboard benchmarks (${mode} mode) — ${started.toISOString()}`,
  `machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memGiB.toFixed(1)} GiB RAM, ${machine.os}, kernel ${machine.kernel}, Node ${machine.node}, open-file limit ${fds.soft}/${fds.hard}`,
  `load average (1, 5, 15 min) at start: ${machine.load}${fdCapped ? `; idle capacity capped at ${PARAMS.idle.maxConns} connections by the open-file limit (${FD_LIMIT} could not be set: raise the hard limit, or run as root with CAP_SYS_RESOURCE)` : ''}`,
  `command: npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}; ${repeats} run(s) of relay, fan-out and join per target, targets interleaved`,
];
for (const l of header) say(l);

const perProcess = (pids) => Object.fromEntries(Object.entries(pids).map(([name, pid]) => [`proc:${name}`, [pid]]));
/** @type {Record<string, any>[]} */
const results = []; // one per (target, scenario row, run): { target, scenarioId, key, run, …row, win, fixedWin, load }
const profDir = join(ROOT, 'bench/results/profiles', `${started.toISOString().replace(/[:.]/g, '-')}-${only.join('+')}`);
const profEnv = (target) => {
  if (!cpuProf) return {};
  const dir = join(profDir, target);
  mkdirSync(dir, { recursive: true });
  return { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${join(ROOT, 'bench/lib/cpu-prof.mjs')}`.trim(), BENCH_CPU_PROF_DIR: dir };
};
const profPids = {};
/** With --cpu-prof, the fixed-load windows, the join storm and the reconnect storm are profiled (the windows CPU per event is read over). */
const profiled = (label) => cpuProf && (/ fixed @/.test(label) || label === 'join' || label === 'reconnect');
/** Starts or stops (SIGUSR2, bench/lib/cpu-prof.mjs) the profiler of every Node server process of a target. */
function toggleProfilers(target, env, label) {
  if (target === 'centrifugo') return; // Go: SIGUSR2 would end the process
  writeFileSync(join(profDir, target, 'label'), label);
  for (const pid of Object.values(env.pids)) {
    try {
      process.kill(pid, 'SIGUSR2');
    } catch {} // Go and C servers are not in env.pids; a killed replica is gone
  }
}

/** The groups with `pids` added to each of `found.groups` (copies; no pid twice). */
const withPids = (groups, /** @type {{ groups: string[], pids: number[] }} */ found) => ({
  ...groups,
  ...Object.fromEntries(found.groups.map((g) => [g, [...new Set([...(groups[g] ?? []), ...found.pids])]])),
});

/**
 * Pools open Postgres backends on demand, also in the middle of a window: look for new ones
 * every second and once more at the end, so their CPU is not left out of Switchboard's.
 * @param {ProcSampler} sampler @param {() => Promise<{ groups: string[], pids: number[] }>} discover
 */
function watchNewProcesses(sampler, discover) {
  const add = async () => {
    const { groups, pids } = await discover();
    for (const pid of pids) sampler.addPid(groups, pid);
  };
  let pending = Promise.resolve();
  const timer = setInterval(() => (pending = pending.then(add)), 1000);
  return {
    async stop() {
      clearInterval(timer);
      await pending;
      await add();
    },
  };
}

async function runLoadgen(target, scenario, env) {
  if (env.refresh) await env.refresh();
  return new Promise((resolve) => {
    const child = fork(join(ROOT, 'bench/loadgen.mjs'), [], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const samplers = new Map();
    /** @type {Map<string, { stop(): Promise<void> }>} */
    const discoveries = new Map();
    const windows = new Map();
    /** Every window of a label in order (a retried step reuses its label; `windows` keeps the last). */
    const windowRuns = new Map();
    const timeoutMs = quick ? 90_000 : 20 * 60_000;
    const timer = setTimeout(() => {
      say(`${target}/${scenario}: load generator timed out after ${timeoutMs / 1000} s`);
      child.kill('SIGKILL');
      resolve({ error: 'timed out' });
    }, timeoutMs);
    child.on('message', (/** @type {import('./lib/messages.mjs').LoadgenMessage} */ m) => {
      if (m.type === 'mark' && m.phase === 'start') {
        void (async () => {
          if (profiled(m.label)) toggleProfilers(target, env, m.label);
          // Backends a pool opened since the run started (during set-up, say) count from the window's start.
          const groups = env.discover ? withPids(env.groups, await env.discover()) : env.groups;
          const sampler = new ProcSampler(groups).start();
          samplers.set(m.label, sampler);
          if (env.discover) discoveries.set(m.label, watchNewProcesses(sampler, env.discover));
          child.send({ type: 'ack' });
        })();
      } else if (m.type === 'mark' && m.phase === 'end') {
        void (async () => {
          await discoveries.get(m.label)?.stop();
          const w = samplers.get(m.label)?.stop();
          windows.set(m.label, w);
          windowRuns.set(m.label, [...(windowRuns.get(m.label) ?? []), w]);
          if (profiled(m.label)) toggleProfilers(target, env, m.label);
          child.send({ type: 'ack' });
        })();
      } else if (m.type === 'kill') {
        const pid = env.pids[m.which];
        const at = Date.now();
        try {
          process.kill(pid, 'SIGKILL');
          say(`${target}/${scenario}: SIGKILL ${m.which} (pid ${pid})`);
        } catch (err) {
          // The storm did not happen: the scenario could not run (fails the bench, also in --quick).
          say(`could not kill ${m.which}: ${err.message}`);
          clearTimeout(timer);
          child.kill('SIGKILL');
          resolve({ error: `could not kill ${m.which}: ${err.message}` });
          return;
        }
        env.killed = m.which;
        child.send({ type: 'ack', at });
      } else if (m.type === 'result') {
        clearTimeout(timer);
        resolve({ ...m, windows, windowRuns });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ error: `load generator exited (${code}) without a result`, windows });
    });
    child.send({ scenario, target, urls: env.urls, pids: env.pids, idlePidName: env.idlePidName, jwtSecret: JWT_SECRET, params: PARAMS[scenario] });
  });
}

/** Starts one target's servers; resolves the loadgen environment (urls, pids, CPU groups) and its stop(). */
async function startTarget(target) {
  const t0 = Date.now();
  const stops = [];
  const stop = async () => {
    for (const s of stops) await s().catch(() => undefined);
  };
  try {
    let env;
    if (target === 'switchboard') {
      await ensureBuilt(say);
      const [nats, redis, databaseUrl] = await Promise.all([startNats(), startRedis(), startDatabase(say)]);
      stops.push(() => Promise.all([stopChild(nats.child), stopChild(redis.child)]));
      const sb = await startSwitchboard({ natsUrl: nats.url, redisUrl: redis.url, databaseUrl, jwtSecret: JWT_SECRET, adminKey: ADMIN_KEY, extraEnv: { DRAIN_GRACE_MS: '500', ...profEnv(target) }, log: say });
      stops.unshift(() => sb.stop());
      const pids = { ...sb.pids, nats: nats.child.pid, redis: redis.child.pid };
      env = {
        urls: sb.urls,
        pids: sb.pids,
        idlePidName: 'gateway-a',
        async refresh() {
          // Postgres backends come and go with the pools: those of each run's start, plus any that
          // open during a window (discover).
          const pgPids = await postgresBackends(databaseUrl);
          env.groups.servers = [...Object.values(pids), ...pgPids];
          env.groups['proc:postgres'] = pgPids;
        },
        discover: async () => ({ groups: ['servers', 'proc:postgres'], pids: await postgresBackends(databaseUrl) }),
        groups: { gateway: [sb.pids['gateway-a'], sb.pids['gateway-b']], idleProc: [sb.pids['gateway-a']], servers: Object.values(pids), ...perProcess(pids) },
      };
    } else if (target === 'socketio') {
      const redis = await startRedis();
      stops.push(() => stopChild(redis.child));
      const sio = await startSocketIo({ redisUrl: redis.url, jwtSecret: JWT_SECRET, extraEnv: profEnv(target) });
      stops.unshift(() => sio.stop());
      const pids = { ...sio.pids, redis: redis.child.pid };
      env = { urls: sio.urls, pids: sio.pids, idlePidName: 'socketio-0', groups: { gateway: Object.values(sio.pids), idleProc: [sio.pids['socketio-0']], servers: Object.values(pids), ...perProcess(pids) } };
    } else if (target === 'centrifugo') {
      const built = await ensureCentrifugo({ repoRoot: ROOT, log: say });
      if (!built.ok) throw new Error(`Centrifugo ${CENTRIFUGO_VERSION} could not be built: ${built.reason}`);
      const redis = await startRedis();
      stops.push(() => stopChild(redis.child));
      const cf = await startCentrifugo({ binary: built.binary, redisUrl: redis.url, jwtSecret: JWT_SECRET });
      stops.unshift(() => cf.stop());
      onCleanup(() => cf.stop()); // its nodes are sidecars, not tracked children
      const pids = { ...cf.pids, redis: redis.child.pid };
      env = { urls: cf.urls, pids: cf.pids, idlePidName: 'centrifugo-0', groups: { gateway: Object.values(cf.pids), idleProc: [cf.pids['centrifugo-0']], servers: Object.values(pids), ...perProcess(pids) } };
    } else {
      const peer = await startPeerJs({ extraEnv: profEnv(target) });
      stops.push(() => peer.stop());
      env = { urls: peer.urls, pids: peer.pids, groups: { gateway: Object.values(peer.pids), servers: Object.values(peer.pids), ...perProcess(peer.pids) } };
    }
    profPids[target] = env.pids;
    say(`${target} up in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return { env, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

const load1 = () => os.loadavg()[0].toFixed(2);

/** One loadgen run of a scenario against a started target; its rows go to `results`. */
async function runOnce(target, env, scenario, run) {
  const s0 = Date.now();
  const loadAtStart = load1();
  say(`${target}: ${scenario}${repeats > 1 && REPEATED.has(scenario) ? ` (run ${run})` : ''}…`);
  const r = await runLoadgen(target, scenario, env);
  const load = `${loadAtStart} → ${load1()}`;
  if (r.error) {
    say(`${target}/${scenario} failed: ${r.error}`);
    results.push({ target, scenarioId: scenario, scenario, key: scenario, run, load, error: r.error.split('\n')[0] });
    return;
  }
  for (const row of r.rows) {
    // Every step's server CPU per 1,000 delivered events too: per-event cost falls as the rate rises (more events per wake-up), so the fixed-load number alone does not say what a step needed.
    const seen = new Map();
    const stepCpu = row.steps?.map((st) => {
      const i = seen.get(st.window) ?? 0;
      seen.set(st.window, i + 1);
      return { rate: st.throughput, cpu: ((r.windowRuns.get(st.window)?.[i]?.servers?.cpuSeconds ?? NaN) * 1e6) / st.delivered };
    });
    results.push({ target, scenarioId: scenario, key: row.key ?? scenario, run, load, ...row, stepCpu, win: r.windows.get(row.window), fixedWin: row.fixed && r.windows.get(row.fixed.window) });
  }
  say(`${target}: ${scenario} done in ${((Date.now() - s0) / 1000).toFixed(1)} s (load ${load})`);
}

const stacks = new Map();
for (const t of targets) {
  if (!ALL_SCENARIOS.some((s) => only.includes(s) && APPLIES[t].includes(s))) continue;
  say(`── ${t}: starting`);
  try {
    stacks.set(t, await startTarget(t));
  } catch (err) {
    say(`${t} could not run: ${err.stack ?? err}`);
    results.push({ target: t, scenarioId: 'start', scenario: 'start-up', key: 'start', error: String(err.message ?? err).split('\n')[0] });
  }
}
for (const scenario of ALL_SCENARIOS.filter((s) => only.includes(s))) {
  const runs = REPEATED.has(scenario) ? repeats : 1;
  for (let run = 1; run <= runs; run++) {
    for (const [target, { env }] of stacks) if (APPLIES[target].includes(scenario)) await runOnce(target, env, scenario, run);
  }
}
for (const { stop } of stacks.values()) await stop();
if (cpuProf) writeFileSync(join(profDir, 'pids.json'), JSON.stringify(profPids, null, 2));
await cleanupAll();
const loadAtEnd = os.loadavg().map((l) => l.toFixed(2)).join(' ');

// ---------------------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------------------

const TITLES = {
  idle: '1. Idle capacity — authenticated connections held on one server process',
  relay: '2. Signaling relay — offer/answer/ICE bursts between pairs on different replicas; relays/s at p99 ≤ 20 ms',
  fanout: '3. Room fan-out — broadcast and chat; deliveries/s at p99 ≤ 50 ms',
  join: '4. Join storm — clients connect and join rooms as fast as possible',
  reconnect: '5. Reconnect storm — SIGKILL one gateway replica under load; clients resume on the other',
  lobby: '6. Live room registry — rooms.subscribe watchers while rooms are created and joined at a fixed rate; lag = churn reply → watcher sees it (includes the ≤ 1 s coalescing)',
};
const median = (xs) => {
  const v = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (!v.length) return NaN;
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};
const spread = (xs, fmt) => {
  const v = xs.filter(Number.isFinite);
  return v.length > 1 ? ` [${fmt(Math.min(...v))}–${fmt(Math.max(...v))}]` : '';
};
const fmtCpu = (v) => (Number.isFinite(v) ? (v >= 100 ? v.toFixed(0) : v.toFixed(1)) : '–');

/**
 * CPU milliseconds per 1,000 delivered events of one run: over the fixed-load window for the
 * stepped scenarios, over the whole window for the join and reconnect storms (events = joins,
 * resumes). Per group: all servers, the gateways, each process.
 */
function cpuPer1k(r) {
  const [w, events] = r.fixedWin && r.fixed?.delivered > 0 ? [r.fixedWin, r.fixed.delivered] : r.win && r.events > 0 ? [r.win, r.events] : [];
  if (!w) return undefined;
  const per = (g) => (w[g] ? (w[g].cpuSeconds * 1e6) / events : NaN);
  const procs = Object.keys(w)
    .filter((g) => g.startsWith('proc:'))
    .map((g) => /** @type {[string, number]} */ ([g.slice(5), per(g)]))
    .filter(([, v]) => v >= 0.05)
    .sort((a, b) => b[1] - a[1]);
  return { servers: per('servers'), gateway: per('gateway'), procs, events, seconds: w.servers?.seconds };
}

const ok = results.filter((r) => !r.error && !r.na);
for (const r of ok) r.cpu = cpuPer1k(r);
/** One summary per (target, key): medians over the runs, spreads, the median run's CPU by process. */
function summarize(target, key) {
  const rs = ok.filter((r) => r.target === target && r.key === key);
  if (!rs.length) return undefined;
  const cpu = rs.map((r) => r.cpu?.servers);
  const mid = median(cpu);
  const midRun = rs.find((r) => r.cpu?.servers === mid) ?? rs.reduce((a, b) => (Math.abs((b.cpu?.servers ?? Infinity) - mid) < Math.abs((a.cpu?.servers ?? Infinity) - mid) ? b : a));
  return {
    target,
    key,
    scenarioId: rs[0].scenarioId,
    scenario: rs[0].scenario,
    unit: rs[0].unit,
    runs: rs,
    throughput: median(rs.map((r) => r.throughput)),
    throughputSpread: spread(rs.map((r) => r.throughput), fmtRate),
    unsaturated: rs.every((r) => r.saturated === false),
    withinBound: rs.some((r) => r.withinBound !== false),
    p50: median(rs.map((r) => r.p50)),
    p99: median(rs.map((r) => r.p99)),
    cpuServers: mid,
    cpuServersSpread: spread(cpu, fmtCpu),
    cpuGateway: median(rs.map((r) => r.cpu?.gateway)),
    cpuProcs: midRun?.cpu?.procs ?? [],
    fixedOffered: rs[0].fixed?.offered,
    fixedP99: median(rs.map((r) => r.fixed?.p99)),
    lost: rs.reduce((n, r) => n + (r.fixed?.lost ?? 0) + (r.scenarioId === 'reconnect' ? (r.lost ?? 0) + (r.dups ?? 0) : 0), 0),
    errors: rs.reduce((n, r) => n + (r.errors ?? 0), 0),
    rss: Math.max(...rs.map((r) => (r.window === 'idle' ? r.win?.idleProc?.peakRss : r.win?.gateway?.peakRss) ?? NaN)),
    loadgenCpu: Math.max(...rs.map((r) => r.loadgenCpu ?? 0)),
  };
}

const HEAD = ['target', 'scenario', 'runs', 'throughput (median [min–max])', 'p50 ms', 'p99 ms', 'server CPU ms / 1,000 events (median [min–max])', 'gateway CPU ms / 1,000', 'lost', 'errors', 'gateway RSS', 'loadgen CPU'];
const summaryCells = (x) => [
  x.target,
  x.scenario,
  String(x.runs.length),
  `${x.unsaturated ? '≥ ' : ''}${fmtRate(x.throughput)}${x.throughputSpread} ${x.unit}${x.withinBound ? '' : ' (bound not met)'}`,
  fmtMs(x.p50),
  fmtMs(x.p99),
  `${fmtCpu(x.cpuServers)}${x.cpuServersSpread}`,
  fmtCpu(x.cpuGateway),
  String(x.lost),
  String(x.errors),
  fmtBytes(x.rss),
  `${x.loadgenCpu.toFixed(0)}%`,
];

const out = [];
for (const l of header) out.push(l);
out.push(`load average (1, 5, 15 min) at the end: ${loadAtEnd}. The 1-minute load at the start → end of each run is in the notes; compare targets measured under similar load (they are interleaved for that reason).`);
out.push(
  '',
  '**server CPU ms / 1,000 events**: CPU time (run time of every thread, /proc/<pid>/task/*/schedstat) of every server process of the target per 1,000 delivered events — for relay and fan-out over a fixed offered load that no target saturates (the "fixed" window before the step search; its offered load and p99 are in the notes), for the join storm per 1,000 joins, for the reconnect storm per 1,000 resumes. Switchboard: 2 gateways, rooms, presence, media, attestation, NATS, Redis and the Postgres backends serving its database; Socket.IO: 2 instances + Redis; Centrifugo: 2 nodes + Redis; PeerJS: its process. Lower is better; this is the steady measure.',
  '**throughput**: the highest step of the open-loop search with p99 within the bound and nothing lost (median of the runs, min–max in brackets); "≥" means every offered step passed, a lower bound. It depends on the machine\'s other load; the CPU measure much less.',
  '**lost**: events of the fixed-load windows (and, for the reconnect storm, acknowledged chat messages plus duplicates) that never arrived. Must be 0; the run fails otherwise.',
);
const summaries = [];
for (const s of ALL_SCENARIOS) {
  const keys = [...new Set(results.filter((r) => r.scenarioId === s).map((r) => r.key))];
  const rows = [];
  for (const t of TARGETS) for (const k of keys) {
    const x = summarize(t, k);
    if (x) rows.push(x);
  }
  summaries.push(...rows);
  const failed = results.filter((r) => r.scenarioId === s && (r.error || r.na));
  if (!rows.length && !failed.length) continue;
  out.push('', `### ${TITLES[s]}`, '', table([HEAD, ...rows.map(summaryCells), ...failed.map((r) => [r.target, r.scenario, String(r.run ?? ''), r.na ?? `failed: ${r.error}`, '', '', '', '', '', '', '', ''])]));
  const notes = [];
  for (const x of rows) {
    const proc = x.cpuProcs.map(([n, v]) => `${n} ${fmtCpu(v)}`).join(', ');
    if (x.fixedOffered) notes.push(`- ${x.target} · ${x.scenario}: fixed load ${fmtRate(x.fixedOffered)} events/s offered, p99 ${fmtMs(x.fixedP99)} ms (median)${proc ? `; CPU ms / 1,000 events by process (median run): ${proc}` : ''}`);
    else if (proc) notes.push(`- ${x.target} · ${x.scenario}: CPU ms / 1,000 events by process (median run): ${proc}`);
    for (const r of x.runs) {
      if (r.notes) notes.push(`  - run ${r.run} (load ${r.load}): ${r.notes}`);
      if (r.stepCpu?.length) notes.push(`    server CPU ms / 1,000 events by step: ${r.stepCpu.map((st) => `${fmtRate(st.rate)}/s ${fmtCpu(st.cpu)}`).join(', ')}`);
    }
  }
  if (notes.length) out.push('', ...notes);
}
const startupErrors = results.filter((r) => r.scenarioId === 'start');
if (startupErrors.length) out.push('', '### Start-up failures', '', ...startupErrors.map((r) => `- ${r.target}: ${r.error}`));

// Ratios: Switchboard against each reference on the same key, for both measures.
const sbOf = (key) => summaries.find((x) => x.target === 'switchboard' && x.key === key);
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}×` : '–');
const ratioRows = [['comparison', 'scenario', 'throughput ratio (median)', 'CPU efficiency (reference CPU ÷ Switchboard CPU per event)', 'p99 ratio']];
for (const [ref, label] of [['socketio', 'Switchboard / Socket.IO'], ['centrifugo', 'Switchboard / Centrifugo'], ['peerjs', 'Switchboard / PeerJS']]) {
  for (const r of summaries.filter((x) => x.target === ref && x.key !== 'idle')) {
    const s = sbOf(r.key);
    if (!s) continue;
    let tput = ratio(s.throughput, r.throughput);
    if (s.unsaturated && r.unsaturated) tput = `${tput} (neither saturated)`;
    else if (s.unsaturated) tput = `≥ ${tput}`;
    else if (r.unsaturated) tput = `≤ ${tput}`;
    ratioRows.push([label, s.scenario.replace(/ \(.*\)$/, ''), tput, ratio(r.cpuServers, s.cpuServers), ratio(s.p99, r.p99)]);
  }
}
if (ratioRows.length > 1) out.push('', '### Ratios (> 1× means Switchboard is better for throughput and CPU efficiency; < 1× for p99)', '', table(ratioRows));
const idleOf = (t) => summaries.find((x) => x.target === t && x.key === 'idle')?.runs[0];
const idleLine = TARGETS.map((t) => [t, idleOf(t)]).filter(([, r]) => r).map(([t, r]) => `${t} ${r.held} held, ${(r.bytesPerConn / 1024).toFixed(1)} KiB each`);
if (idleLine.length) out.push('', `Idle connections on one process: ${idleLine.join('; ')}.`);
const hot = summaries.filter((x) => x.loadgenCpu > 90);
if (hot.length) out.push('', `Note: the load generator used > 90% of a core in: ${hot.map((x) => `${x.target}/${x.scenario}`).join(', ')} — those rows may be limited by the load generator.`);
out.push('', `total time ${((Date.now() - started.getTime()) / 1000).toFixed(0)} s`);

const text = out.join('\n');
console.log(`\n${text}\n`);
const dir = join(ROOT, 'bench/results');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, `latest-${mode}.md`), `${text}\n`);
writeFileSync(join(dir, `latest-${mode}.json`), JSON.stringify({ machine, loadAtEnd, mode, argv, started, repeats, summaries: summaries.map(({ runs: _r, ...x }) => x), results }, null, 2));
say(`written bench/results/latest-${mode}.md and .json`);
const lossy = summaries.filter((x) => x.lost > 0);
if (lossy.length) say(`LOST MESSAGES: ${lossy.map((x) => `${x.target}/${x.scenario}: ${x.lost}`).join('; ')}`);
process.exit(results.some((r) => r.error) || lossy.length ? 1 : 0);
