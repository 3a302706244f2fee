#!/usr/bin/env node
// Round trips per connect + room.join (issue 13): starts the Switchboard stack on private NATS,
// Redis and databases (bench/lib/stack.mjs), creates rooms, then lets N clients connect and join
// like the join storm, and prints what that cost per client:
//   - Redis commands (INFO commandstats delta: calls and Redis's own µs, by command; commands
//     run inside Lua scripts are counted under their own names as well as under EVAL/EVALSHA),
//   - NATS messages by subject pattern (a wildcard subscriber on `>`: requests, replies,
//     events, JetStream acks),
//   - Postgres transactions of the two databases (pg_stat_database.xact_commit; a Prisma query
//     outside a transaction is one),
//   - each process's own count of its Redis commands and Prisma operations, from /metrics
//     (switchboard_<redis|postgres>_operation_duration_seconds_count), so a cost has an owner.
// It also prints each server process's CPU ms per join (schedstat, as `npm run bench` reads it;
// a quick indication, the bench's interleaved runs are the measure), and with --cpu-prof <dir>
// writes V8 profiles of the Node processes over the storm (`node bench/profile-summary.mjs <dir>`).
// Usage: node bench/join-roundtrips.mjs [--clients 400] [--concurrency 50] [--room-size 10] [--cpu-prof dir]
// Counts do not depend on the machine's load; it needs the infrastructure of `npm run setup`.
import { connect as natsConnect } from '@nats-io/transport-node';
import { createClient } from 'redis';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { mintToken, SbConn } from './lib/clients.mjs';
import { cpuSeconds } from './lib/proc.mjs';
import { cleanupAll, ensureBuilt, installExitHandlers, ROOT, startDatabase, startNats, startRedis, startSwitchboard } from './lib/stack.mjs';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const clients = arg('clients', 400);
const concurrency = arg('concurrency', 50);
const roomSize = arg('room-size', 10);
const profIndex = process.argv.indexOf('--cpu-prof');
const profDir = profIndex > 0 ? resolve(process.argv[profIndex + 1]) : undefined;
const say = (m) => console.error(`[roundtrips] ${m}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Ids in subjects (rooms, users, connections, inboxes) collapsed, so subjects group by kind. */
const patternOf = (subject) =>
  subject
    .replace(/^(_INBOX[^.]*|\$JS\.ACK)\..*$/, '$1.* (replies)')
    .replace(/^(sb\.evt\.(?:room|live|user|conn|presence))\..*$/, '$1.*')
    .replace(/^(\$JS\.API\.[A-Z_.]+?)\.[A-Za-z0-9_-]+(\..*)?$/, '$1.*');

/** CPU seconds of each server process, and of the Postgres backends serving the databases together. */
function cpuOf(procs, pgPids) {
  const out = Object.fromEntries(Object.entries(procs).map(([name, pid]) => [name, cpuSeconds(pid)]));
  out.postgres = pgPids.reduce((s, pid) => s + (cpuSeconds(pid) || 0), 0);
  return out;
}

async function postgresPids(databaseUrl) {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  const { rows } = await c.query('select pid from pg_stat_activity where datname like $1 and pid <> pg_backend_pid()', [`${new URL(databaseUrl).pathname.slice(1)}%`]);
  await c.end();
  return rows.map((r) => r.pid);
}

async function redisStats(url) {
  const r = createClient({ url });
  await r.connect();
  const info = await r.info('commandstats');
  await r.quit();
  const out = {};
  for (const line of info.split('\n')) {
    const m = /^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/.exec(line.trim());
    if (m) out[m[1]] = { calls: Number(m[2]), usec: Number(m[3]) };
  }
  return out;
}

async function pgCommits(databaseUrl) {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  // Backends flush their counters at most once a second when idle.
  await sleep(1500);
  const { rows } = await c.query("select datname, xact_commit::bigint as n from pg_stat_database where datname like $1", [`${new URL(databaseUrl).pathname.slice(1)}%`]);
  await c.end();
  return Object.fromEntries(rows.map((r) => [r.datname, Number(r.n)]));
}

/** Operation counts by process from each service's /metrics: {"rooms postgres Room.findFirst": n}. */
async function serviceOps(base) {
  const ports = { 'gateway-a': base, 'gateway-b': base + 1, rooms: base + 11, presence: base + 12, media: base + 13 };
  const out = {};
  for (const [name, port] of Object.entries(ports)) {
    const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text(), () => '');
    for (const m of text.matchAll(/^switchboard_(redis|postgres)_operation_duration_seconds_count\{[^}]*operation="([^"]+)"[^}]*\} (\d+)/gm)) out[`${name} ${m[1]} ${m[2]}`] = Number(m[3]);
  }
  return out;
}

function pool(n, limit, fn) {
  let next = 0;
  return Promise.all(Array.from({ length: Math.min(n, limit) }, async () => {
    while (next < n) await fn(next++);
  }));
}

installExitHandlers();
try {
  await ensureBuilt(say);
  const secret = `rt-${Math.random().toString(36).slice(2)}-${Math.random().toString(36).slice(2)}`;
  const [nats, redis, databaseUrl] = await Promise.all([startNats(), startRedis(), startDatabase(say)]);
  // The layout profile-summary.mjs reads: <dir>/switchboard/<label>.<pid>.cpuprofile and <dir>/pids.json.
  const profTarget = profDir && join(profDir, 'switchboard');
  const profEnv = profTarget ? { NODE_OPTIONS: `--import ${join(ROOT, 'bench/lib/cpu-prof.mjs')}`, BENCH_CPU_PROF_DIR: profTarget } : {};
  if (profTarget) {
    mkdirSync(profTarget, { recursive: true });
    writeFileSync(join(profTarget, 'label'), 'join');
  }
  const sb = await startSwitchboard({ natsUrl: nats.url, redisUrl: redis.url, databaseUrl, jwtSecret: secret, adminKey: `k-${secret}`, extraEnv: profEnv, log: say });
  const procs = { ...sb.pids, nats: nats.child.pid, redis: redis.child.pid };
  if (profDir) writeFileSync(join(profDir, 'pids.json'), JSON.stringify({ switchboard: sb.pids }));
  say(`stack up (gateways ${sb.urls.join(', ')})`);
  const tag = `${process.pid}`;
  const roomCount = Math.ceil(clients / (roomSize - 1));
  const owners = [];
  await pool(roomCount, 20, async (i) => (owners[i] = await SbConn.connect(sb.urls[i % 2], await mintToken(secret, `o${i}_${tag}`))));
  const roomIds = [];
  await pool(roomCount, 20, async (i) => (roomIds[i] = (await owners[i].request('room.create', { name: `rt-${i}`, kind: 'group', joinPolicy: 'open', maxParticipants: roomSize + 1 })).room.id));
  const tokens = await Promise.all(Array.from({ length: clients }, (_, i) => mintToken(secret, `j${i}_${tag}`)));

  /** @type {Map<string, number>} */
  const counts = new Map();
  const watcher = await natsConnect({ servers: nats.url, name: 'roundtrips' });
  watcher.subscribe('>', {
    callback: (_e, m) => {
      counts.set(patternOf(m.subject), (counts.get(patternOf(m.subject)) ?? 0) + 1);
    },
  });
  await watcher.flush();
  await sleep(1000); // let set-up traffic (registry notices, presence reports) pass
  counts.clear();
  const [r0, p0, s0] = await Promise.all([redisStats(redis.url), pgCommits(databaseUrl), serviceOps(sb.base)]);
  const pgPids = await postgresPids(databaseUrl);
  const cpu0 = cpuOf(procs, pgPids);
  if (profDir) for (const pid of Object.values(sb.pids)) process.kill(pid, 'SIGUSR2');
  const conns = [];
  const errors = {};
  await pool(clients, concurrency, async (i) => {
    try {
      const c = await SbConn.connect(sb.urls[i % 2], tokens[i]);
      conns.push(c);
      await c.request('room.join', { roomId: roomIds[i % roomIds.length] });
    } catch (err) {
      errors[err.code ?? 'error'] = (errors[err.code ?? 'error'] ?? 0) + 1;
    }
  });
  if (Object.keys(errors).length) say(`errors (the counts include failed attempts): ${JSON.stringify(errors)}`);
  await sleep(300); // the last presence report and registry flush of the storm
  const cpu1 = cpuOf(procs, pgPids);
  if (profDir) for (const pid of Object.values(sb.pids)) process.kill(pid, 'SIGUSR2');
  const natsCounts = new Map(counts);
  const [r1, p1, s1] = await Promise.all([redisStats(redis.url), pgCommits(databaseUrl), serviceOps(sb.base)]);
  await Promise.all([...conns, ...owners].map((c) => c.close().catch(() => undefined)));
  await watcher.close();

  const per = (n) => (n / clients).toFixed(2);
  const lines = [`# Round trips per connect + room.join: ${clients} clients, ${concurrency} in flight, rooms of ${roomSize}${Object.keys(errors).length ? `; ERRORS ${JSON.stringify(errors)}` : ''}`, ''];
  /** @type {[string, number][]} */
  const cpuRows = Object.keys(cpu1).map((k) => /** @type {[string, number]} */ ([k, ((cpu1[k] - cpu0[k]) * 1e6) / clients])).sort((a, b) => b[1] - a[1]);
  lines.push(`Server CPU ms per 1,000 joins: ${cpuRows.reduce((s, [, v]) => s + v, 0).toFixed(0)} (${cpuRows.map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ')})`, '');
  lines.push('| Redis command | calls / join | Redis µs / join |', '|---|---|---|');
  let calls = 0;
  for (const [cmd, after] of Object.entries(r1).sort((a, b) => b[1].usec - (r0[b[0]]?.usec ?? 0) - (a[1].usec - (r0[a[0]]?.usec ?? 0)))) {
    const d = { calls: after.calls - (r0[cmd]?.calls ?? 0), usec: after.usec - (r0[cmd]?.usec ?? 0) };
    if (!d.calls || cmd === 'info') continue;
    lines.push(`| ${cmd} | ${per(d.calls)} | ${per(d.usec)} |`);
    calls += ['eval', 'evalsha'].includes(cmd) ? d.calls : 0;
  }
  const topLevel = Object.entries(r1).reduce((s, [cmd, a]) => s + a.calls - (r0[cmd]?.calls ?? 0), 0);
  lines.push('', `Redis: ${per(calls)} script calls / join; all commands (incl. inside scripts) ${per(topLevel)} / join.`, '');
  lines.push('| NATS subject | messages / join |', '|---|---|');
  let msgs = 0;
  for (const [s, n] of [...natsCounts].sort((a, b) => b[1] - a[1])) {
    lines.push(`| ${s} | ${per(n)} |`);
    msgs += n;
  }
  lines.push('', `NATS: ${per(msgs)} messages / join in all (a wildcard subscriber sees each published message once).`, '');
  lines.push('| process, client, operation | calls / join |', '|---|---|');
  for (const [k, n] of Object.entries(s1).sort((a, b) => a[0].localeCompare(b[0]))) if (n - (s0[k] ?? 0) > 0) lines.push(`| ${k} | ${per(n - (s0[k] ?? 0))} |`);
  lines.push('');
  for (const [db, n] of Object.entries(p1)) lines.push(`Postgres ${db.replace(tag, '<pid>')}: ${per(n - (p0[db] ?? 0))} transactions / join`);
  console.log(lines.join('\n'));
} catch (err) {
  console.error(err);
  process.exitCode = 1;
} finally {
  await cleanupAll();
}
