#!/usr/bin/env node
// node bench/idle-background.mjs [--seconds 30] [--settle 10] [--cpu-prof]
//
// CPU of the Switchboard stack with no clients at all: what each service's timers, sweeps,
// lease renewals, pings and metric collectors cost per second (issue 13, ADR 0072). Starts the
// same private stack as `npm run bench` (bench/lib/stack.mjs: own NATS, Redis, migrated
// databases, scripts/start.mjs on a free port block), waits `--settle` seconds after every
// process is ready, then reads each process's CPU (/proc schedstat) over `--seconds`. With
// --cpu-prof every Node service is profiled over that window (bench/lib/cpu-prof.mjs) and the
// profiles land in bench/results/profiles/idle-<time>/switchboard (node bench/profile-summary.mjs).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupAll, installExitHandlers, postgresBackends, ROOT, startDatabase, startNats, startRedis, startSwitchboard } from './lib/stack.mjs';
import { ProcSampler } from './lib/proc.mjs';

const args = process.argv.slice(2);
const num = (name, dflt) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : dflt);
const seconds = num('--seconds', 30);
const settle = num('--settle', 10);
const cpuProf = args.includes('--cpu-prof');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (m) => console.error(`[idle] ${m}`);

installExitHandlers();
let profDir;
const extraEnv = {};
if (cpuProf) {
  profDir = join(ROOT, 'bench/results/profiles', `idle-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  mkdirSync(join(profDir, 'switchboard'), { recursive: true });
  writeFileSync(join(profDir, 'switchboard', 'label'), 'idle');
  extraEnv.NODE_OPTIONS = `--import ${join(ROOT, 'bench/lib/cpu-prof.mjs')}`;
  extraEnv.BENCH_CPU_PROF_DIR = join(profDir, 'switchboard');
}
try {
  const [nats, redis, databaseUrl] = await Promise.all([startNats(), startRedis(), startDatabase(log)]);
  const sb = await startSwitchboard({ natsUrl: nats.url, redisUrl: redis.url, databaseUrl, jwtSecret: 'idle-bench-secret-0123456789abcdef', adminKey: 'idle-bench-admin', extraEnv, log });
  log(`ready; settling ${settle} s`);
  await sleep(settle * 1000);
  const groups = Object.fromEntries([...Object.entries(sb.pids).map(([n, p]) => [n, [p]]), ['nats', [nats.child.pid]], ['redis', [redis.child.pid]]]);
  const toggle = () => Object.values(sb.pids).forEach((p) => process.kill(p, 'SIGUSR2'));
  if (cpuProf) toggle();
  groups.postgres = await postgresBackends(databaseUrl);
  const { Redis } = await import('ioredis');
  const redisCli = new Redis(redis.url);
  // Redis commands per second by command over the window: which timers still poll.
  const commandStats = async () => Object.fromEntries([...(await redisCli.info('commandstats')).matchAll(/^cmdstat_(\w+):calls=(\d+)/gm)].map((m) => [m[1], Number(m[2])]));
  const stats0 = await commandStats();
  const sampler = new ProcSampler(groups, 1000).start();
  // Pools open (and close) backends on demand: count any that appears during the window.
  for (let t = 0; t < seconds; t++) {
    await sleep(1000);
    for (const pid of await postgresBackends(databaseUrl)) sampler.addPid(['postgres'], pid);
  }
  const res = sampler.stop();
  const stats1 = await commandStats();
  await redisCli.quit();
  if (cpuProf) {
    toggle();
    writeFileSync(join(profDir, 'pids.json'), JSON.stringify({ switchboard: sb.pids }, null, 2));
    await sleep(2000);
  }
  let total = 0;
  console.log(`| process | CPU ms per second, idle (${seconds} s window) |\n|---|---|`);
  for (const [name, r] of Object.entries(res)) {
    const ms = (r.cpuSeconds * 1000) / r.seconds;
    total += ms;
    console.log(`| ${name} | ${ms.toFixed(2)} |`);
  }
  console.log(`| **total** | **${total.toFixed(1)}** |`);
  const perSecond = Object.entries(stats1)
    .map(([cmd, n]) => ({ cmd, rate: (n - (stats0[cmd] ?? 0)) / seconds }))
    .filter(({ cmd, rate }) => rate > 0 && cmd !== 'info');
  console.log(`\nRedis commands per second: ${perSecond.map(({ cmd, rate }) => `${cmd} ${rate.toFixed(2)}`).join(', ')}`);
  if (profDir) console.log(`\nprofiles: ${profDir}`);
} finally {
  await cleanupAll();
}
process.exit(0);
