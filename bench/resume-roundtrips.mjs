#!/usr/bin/env node
// Round trips per reconnect + session.resume (issue 13, the reconnect storm without its chat
// load): starts the Switchboard stack on private NATS, Redis and databases, seats N clients on
// gateway-a in rooms of `--room-size` (the rooms' owners sit on gateway-b), SIGKILLs gateway-a,
// lets each owner send `--missed` chat messages into the gap, and then lets every client connect
// to gateway-b and `session.resume` (at most `--concurrency` in flight). What the resumes alone
// cost, per resume, counted like join-roundtrips.mjs (bench/lib/roundtrips.mjs): each server
// process's CPU, Redis commands, NATS messages by subject kind (all but sb.evt.conn.*, where a
// watcher would turn the probes' "no responders" into timeouts), operations and Postgres transactions.
// Every resumed client must have received every missed message exactly once (else it says so).
// `--connect-only`: the clients reconnect (to `hello`) and do not resume: the connect half alone, so
// a full run minus this one is what the resume half costs (ADR 0081).
// `--env K=V` (repeatable) sets a service variable for every process (two settings on one build).
// Usage: node bench/resume-roundtrips.mjs [--clients 400] [--concurrency 50] [--room-size 10] [--missed 2] [--connect-only] [--env K=V]… [--cpu-prof dir]
import { connect as natsConnect } from '@nats-io/transport-node';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mintToken, SbConn } from './lib/clients.mjs';
import { ALL_BUT_CONNECTIONS, countMessages, counters, cpuOf, envArgs, numArg, pool, postgresPids, report, sleep, startRoundtripStack } from './lib/roundtrips.mjs';
import { cleanupAll, installExitHandlers } from './lib/stack.mjs';

const clients = numArg('clients', 400);
const concurrency = numArg('concurrency', 50);
const roomSize = numArg('room-size', 10);
const missed = numArg('missed', 2);
const connectOnly = process.argv.includes('--connect-only');
const say = (m) => console.error(`[resume-roundtrips] ${m}`);

installExitHandlers();
try {
  const { nats, redis, databaseUrl, sb, secret, profDir } = await startRoundtripStack('reconnect', say, envArgs());
  const { 'gateway-a': killedPid, ...survivors } = sb.pids;
  const procs = { ...survivors, nats: nats.child.pid, redis: redis.child.pid };
  if (profDir) writeFileSync(join(profDir, 'pids.json'), JSON.stringify({ switchboard: survivors }));
  const tag = `${process.pid}`;
  // gateway-a's /metrics dies with it.
  const opsPorts = { 'gateway-b': sb.base + 1, rooms: sb.base + 11, presence: sb.base + 12, media: sb.base + 13 };
  const roomCount = Math.ceil(clients / (roomSize - 1));
  const owners = [];
  await pool(roomCount, 20, async (i) => (owners[i] = await SbConn.connect(sb.urls[1], await mintToken(secret, `o${i}_${tag}`))));
  const roomIds = [];
  await pool(roomCount, 20, async (i) => (roomIds[i] = (await owners[i].request('room.create', { name: `rr-${i}`, kind: 'group', joinPolicy: 'open', maxParticipants: roomSize + 1 })).room.id));
  /** @type {{ token: string, sessionId: string, roomId: string, lastSeq: number, got: Set<string>, dups: number, conn: SbConn, resumed: boolean }[]} */
  const vs = [];
  const listen = (v, conn) => {
    conn.onEvent = (type, f) => {
      if (f.room === v.roomId && typeof f.seq === 'number' && f.seq > v.lastSeq) v.lastSeq = f.seq;
      if (type !== 'chat.message') return;
      if (v.got.has(f.data.message.clientMsgId)) v.dups++;
      else v.got.add(f.data.message.clientMsgId);
    };
  };
  await pool(clients, concurrency, async (i) => {
    const token = await mintToken(secret, `v${i}_${tag}`);
    const conn = await SbConn.connect(sb.urls[0], token);
    const roomId = roomIds[i % roomCount];
    const v = { token, sessionId: conn.sessionId, roomId, lastSeq: 0, got: new Set(), dups: 0, conn, resumed: false };
    listen(v, conn);
    const j = await conn.request('room.join', { roomId });
    v.lastSeq = Math.max(v.lastSeq, j.seq ?? 0);
    vs.push(v);
  });
  const closed = Promise.all(vs.map((v) => new Promise((r) => (v.conn.closed ? r(undefined) : (v.conn.onClose = r)))));
  process.kill(killedPid, 'SIGKILL');
  await closed;
  say(`gateway-a killed; ${vs.length} clients disconnected`);
  const sent = new Map(roomIds.map((id) => [id, []]));
  await pool(roomCount, 20, async (r) => {
    for (let k = 0; k < missed; k++) {
      const id = `m${r}_${k}`;
      await owners[r].request('chat.send', { roomId: roomIds[r], text: 'while you were away', clientMsgId: id });
      sent.get(roomIds[r]).push(id);
    }
  });

  /** @type {Map<string, number>} */
  const counts = new Map();
  const watcher = await natsConnect({ servers: nats.url, name: 'resume-roundtrips' });
  countMessages(watcher, ALL_BUT_CONNECTIONS, counts);
  await watcher.flush();
  await sleep(500); // the chat sends' own deliveries and acks pass
  counts.clear();
  const counts0 = await counters({ redisUrl: redis.url, databaseUrl, base: sb.base, ports: opsPorts });
  const pgPids = await postgresPids(databaseUrl);
  const cpu0 = cpuOf(procs, pgPids);
  if (profDir) for (const pid of Object.values(survivors)) process.kill(pid, 'SIGUSR2');
  const errors = {};
  const phases = { connect: [], resume: [] };
  const t0 = performance.now();
  await pool(vs.length, concurrency, async (i) => {
    const v = vs[i];
    try {
      const t = performance.now();
      const conn = await SbConn.connect(sb.urls[1], v.token);
      const connected = performance.now();
      listen(v, conn);
      v.conn = conn;
      if (!connectOnly) await conn.request('session.resume', { sessionId: v.sessionId, rooms: { [v.roomId]: v.lastSeq } });
      phases.connect.push(connected - t);
      phases.resume.push(performance.now() - connected);
      v.resumed = true;
    } catch (err) {
      errors[err.code ?? 'error'] = (errors[err.code ?? 'error'] ?? 0) + 1;
    }
  });
  const tookMs = performance.now() - t0;
  await sleep(300); // the last presence report of the storm
  const cpu1 = cpuOf(procs, pgPids);
  if (profDir) for (const pid of Object.values(survivors)) process.kill(pid, 'SIGUSR2');
  const natsCounts = new Map(counts);
  const counts1 = await counters({ redisUrl: redis.url, databaseUrl, base: sb.base, ports: opsPorts });
  let lost = 0;
  let dups = 0;
  for (const v of vs.filter((x) => x.resumed && !connectOnly)) {
    lost += sent.get(v.roomId).filter((id) => !v.got.has(id)).length;
    dups += v.dups;
  }
  await Promise.all([...vs.map((v) => v.conn), ...owners].map((c) => c.close().catch(() => undefined)));
  await watcher.close();
  const resumed = vs.filter((v) => v.resumed).length;
  const median = (a) => a.sort((x, y) => x - y)[Math.floor(a.length / 2)] ?? 0;
  say(`median per client: connect (to hello) ${median(phases.connect).toFixed(0)} ms, session.resume ${median(phases.resume).toFixed(0)} ms`);
  console.log(
    report({
      n: vs.length,
      what: connectOnly ? 'reconnect' : 'resume',
      title: `# Round trips per reconnect${connectOnly ? ' (connect only, no session.resume)' : ' + session.resume'}: ${resumed} of ${vs.length} ${connectOnly ? 'reconnected' : 'resumed'} in ${(tookMs / 1000).toFixed(2)} s, ${concurrency} in flight, rooms of ${roomSize}, ${missed} missed message(s) per room; lost ${lost}, duplicates ${dups}${Object.keys(errors).length ? `; ERRORS ${JSON.stringify(errors)}` : ''}`,
      cpu: [cpu0, cpu1],
      counts: [counts0, counts1],
      nats: natsCounts,
      tag,
    }),
  );
  if (lost || dups || resumed < vs.length) process.exitCode = 1;
} catch (err) {
  console.error(err);
  process.exitCode = 1;
} finally {
  await cleanupAll();
}
