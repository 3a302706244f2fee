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
// Usage: node bench/join-roundtrips.mjs [--clients 400] [--concurrency 50] [--room-size 10]
// Counts, not timings: run it on any machine; it needs the infrastructure of `npm run setup`.
import { connect as natsConnect } from '@nats-io/transport-node';
import pg from 'pg';
import { createClient } from 'redis';
import { mintToken, SbConn } from './lib/clients.mjs';
import { cleanupAll, ensureBuilt, installExitHandlers, startDatabase, startNats, startRedis, startSwitchboard } from './lib/stack.mjs';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const clients = arg('clients', 400);
const concurrency = arg('concurrency', 50);
const roomSize = arg('room-size', 10);
const say = (m) => console.error(`[roundtrips] ${m}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Ids in subjects (rooms, users, connections, inboxes) collapsed, so subjects group by kind. */
const patternOf = (subject) =>
  subject
    .replace(/^(_INBOX[^.]*|\$JS\.ACK)\..*$/, '$1.* (replies)')
    .replace(/^(sb\.evt\.(?:room|live|user|conn|presence))\..*$/, '$1.*')
    .replace(/^(\$JS\.API\.[A-Z_.]+?)\.[A-Za-z0-9_-]+(\..*)?$/, '$1.*');

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
  const sb = await startSwitchboard({ natsUrl: nats.url, redisUrl: redis.url, databaseUrl, jwtSecret: secret, adminKey: `k-${secret}`, log: say });
  say(`stack up (gateways ${sb.urls.join(', ')})`);
  const tag = `${process.pid}`;
  const roomCount = Math.ceil(clients / (roomSize - 1));
  const owners = [];
  await pool(roomCount, 20, async (i) => (owners[i] = await SbConn.connect(sb.urls[i % 2], await mintToken(secret, `o${i}_${tag}`))));
  const roomIds = [];
  await pool(roomCount, 20, async (i) => (roomIds[i] = (await owners[i].request('room.create', { name: `rt-${i}`, kind: 'group', joinPolicy: 'open', maxParticipants: roomSize + 1 })).room.id));
  const tokens = await Promise.all(Array.from({ length: clients }, (_, i) => mintToken(secret, `j${i}_${tag}`)));

  const counts = new Map();
  const watcher = await natsConnect({ servers: nats.url, name: 'roundtrips' });
  watcher.subscribe('>', { callback: (_e, m) => counts.set(patternOf(m.subject), (counts.get(patternOf(m.subject)) ?? 0) + 1) });
  await watcher.flush();
  await sleep(1000); // let set-up traffic (registry notices, presence reports) pass
  counts.clear();
  const [r0, p0, s0] = await Promise.all([redisStats(redis.url), pgCommits(databaseUrl), serviceOps(sb.base)]);
  const conns = [];
  await pool(clients, concurrency, async (i) => {
    const c = await SbConn.connect(sb.urls[i % 2], tokens[i]);
    await c.request('room.join', { roomId: roomIds[i % roomIds.length] });
    conns.push(c);
  });
  await sleep(300); // the last presence report and registry flush of the storm
  const natsCounts = new Map(counts);
  const [r1, p1, s1] = await Promise.all([redisStats(redis.url), pgCommits(databaseUrl), serviceOps(sb.base)]);
  await Promise.all([...conns, ...owners].map((c) => c.close().catch(() => undefined)));
  await watcher.close();

  const per = (n) => (n / clients).toFixed(2);
  const lines = [`# Round trips per connect + room.join: ${clients} clients, ${concurrency} in flight, rooms of ${roomSize}`, ''];
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
