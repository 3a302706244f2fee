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
// --connect-only measures the connect alone (upgrade, hello, and what follows it: presence report,
// `session.ice`), no rooms; --env K=V (repeatable) sets a service variable for every process, so
// two settings compare on the same build (e.g. --env HELLO_ICE=wait --env ICE_BATCH_WINDOW_MS=0).
// Usage: node bench/join-roundtrips.mjs [--clients 400] [--concurrency 50] [--room-size 10] [--connect-only] [--env K=V]… [--cpu-prof dir]
// Counts do not depend on the machine's load; it needs the infrastructure of `npm run setup`.
import { connect as natsConnect } from '@nats-io/transport-node';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mintToken, SbConn } from './lib/clients.mjs';
import { counters, cpuOf, envArgs, syscallsOf, numArg, patternOf, pool, postgresPids, report, sleep, startRoundtripStack } from './lib/roundtrips.mjs';
import { cleanupAll, installExitHandlers } from './lib/stack.mjs';

const clients = numArg('clients', 400);
const concurrency = numArg('concurrency', 50);
const roomSize = numArg('room-size', 10);
const connectOnly = process.argv.includes('--connect-only');
const settings = envArgs();
const say = (m) => console.error(`[roundtrips] ${m}`);

installExitHandlers();
try {
  const { nats, redis, databaseUrl, sb, secret, profDir } = await startRoundtripStack('join', say, settings);
  const procs = { ...sb.pids, nats: nats.child.pid, redis: redis.child.pid };
  if (profDir) writeFileSync(join(profDir, 'pids.json'), JSON.stringify({ switchboard: sb.pids }));
  const tag = `${process.pid}`;
  const roomCount = connectOnly ? 0 : Math.ceil(clients / (roomSize - 1));
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
  const counts0 = await counters({ redisUrl: redis.url, databaseUrl, base: sb.base });
  const pgPids = await postgresPids(databaseUrl);
  const cpu0 = cpuOf(procs, pgPids);
  const io0 = syscallsOf(procs);
  if (profDir) for (const pid of Object.values(sb.pids)) process.kill(pid, 'SIGUSR2');
  const conns = [];
  const errors = {};
  await pool(clients, concurrency, async (i) => {
    try {
      const c = await SbConn.connect(sb.urls[i % 2], tokens[i]);
      conns.push(c);
      if (!connectOnly) await c.request('room.join', { roomId: roomIds[i % roomIds.length] });
    } catch (err) {
      errors[err.code ?? 'error'] = (errors[err.code ?? 'error'] ?? 0) + 1;
    }
  });
  if (Object.keys(errors).length) say(`errors (the counts include failed attempts): ${JSON.stringify(errors)}`);
  await sleep(connectOnly ? 700 : 300); // the last presence report and registry flush of the storm (and the last `session.ice`: media's batch timeout is 500 ms)
  const cpu1 = cpuOf(procs, pgPids);
  const io1 = syscallsOf(procs);
  if (profDir) for (const pid of Object.values(sb.pids)) process.kill(pid, 'SIGUSR2');
  const natsCounts = new Map(counts);
  const counts1 = await counters({ redisUrl: redis.url, databaseUrl, base: sb.base });
  await Promise.all([...conns, ...owners].map((c) => c.close().catch(() => undefined)));
  await watcher.close();

  console.log(
    report({
      n: clients,
      what: connectOnly ? 'connect' : 'join',
      title: `# Round trips per connect${connectOnly ? '' : ' + room.join'}: ${clients} clients, ${concurrency} in flight${connectOnly ? '' : `, rooms of ${roomSize}`}${Object.keys(settings).length ? `; ${Object.entries(settings).map(([k, v]) => `${k}=${v}`).join(' ')}` : ''}${Object.keys(errors).length ? `; ERRORS ${JSON.stringify(errors)}` : ''}`,
      cpu: [cpu0, cpu1],
      io: [io0, io1],
      counts: [counts0, counts1],
      nats: natsCounts,
      tag,
    }),
  );
} catch (err) {
  console.error(err);
  process.exitCode = 1;
} finally {
  await cleanupAll();
}
