#!/usr/bin/env node
// Round trips and CPU per chat.send (issue 13, ADR 0079): starts the Switchboard stack on private
// NATS, Redis and databases (bench/lib/stack.mjs), fills rooms with members on both gateways,
// then lets the members send plain messages (default channel, no reply, no attachments: the
// hot path) at a fixed rate and prints what that cost per send, like bench/join-roundtrips.mjs:
//   - Redis commands (INFO commandstats delta: calls and Redis's own µs, by command),
//   - NATS messages by subject kind and event type (wildcard subscribers: the command, its
//     reply, the room event, the stream's ack),
//   - Postgres transactions of the two databases (pg_stat_database.xact_commit; one statement
//     outside a transaction is one) and each process's own Redis/Postgres operation counts,
//   - each server process's CPU ms per send (schedstat, as `npm run bench` reads it; a quick
//     indication, the bench's interleaved runs are the measure). With --cpu-prof <dir> it writes
//     V8 profiles of the Node processes over the sends (`node bench/profile-summary.mjs <dir>`).
// Every member counts the chat.message events it receives; the run waits for all of them
// (size deliveries per send: the sender hears its own message too) and fails on a loss (a send
// answered `unavailable` may still be stored and delivered, so more is not a loss).
// Usage: node bench/chat-roundtrips.mjs [--messages 2000] [--rate 200] [--rooms 20] [--room-size 10] [--cpu-prof dir] [--env K=V …]
// (`--env`: service variables for every process, so two settings compare on the same build.)
// Counts do not depend on the machine's load; it needs the infrastructure of `npm run setup`.
import { connect as natsConnect } from '@nats-io/transport-node';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mintToken, SbConn } from './lib/clients.mjs';
import { ALL_BUT_CONNECTIONS, countMessages, counters, cpuOf, envArgs, numArg, pool, postgresPids, report, sleep, startRoundtripStack } from './lib/roundtrips.mjs';
import { cleanupAll, installExitHandlers } from './lib/stack.mjs';

const messages = numArg('messages', 2000);
const rate = numArg('rate', 200);
const roomCount = numArg('rooms', 20);
const roomSize = numArg('room-size', 10);
const say = (m) => console.error(`[chat-roundtrips] ${m}`);

installExitHandlers();
try {
  const { nats, redis, databaseUrl, sb, secret, profDir } = await startRoundtripStack('chat', say, envArgs());
  const procs = { ...sb.pids, nats: nats.child.pid, redis: redis.child.pid };
  if (profDir) writeFileSync(join(profDir, 'pids.json'), JSON.stringify({ switchboard: sb.pids }));
  const tag = `${process.pid}`;

  /** Set-up on a busy box: a request answered `unavailable` (a service's timeout) is tried again; a join is idempotent. */
  const retried = async (fn) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (err.code !== 'unavailable' || attempt >= 5) throw err;
        await sleep(200 * attempt);
      }
    }
  };
  // Rooms of `roomSize`: the owner and roomSize - 1 joiners, alternating between the gateways.
  /** @type {{ roomId: string, members: SbConn[] }[]} */
  const rooms = [];
  await pool(roomCount, 10, async (r) => {
    const owner = await SbConn.connect(sb.urls[r % 2], await mintToken(secret, `o${r}_${tag}`));
    const { room } = await retried(() => owner.request('room.create', { name: `chat-rt-${r}`, kind: 'group', joinPolicy: 'open', maxParticipants: roomSize + 1 }));
    await retried(() => owner.request('room.join', { roomId: room.id }));
    const members = [owner];
    for (let i = 1; i < roomSize; i++) {
      const c = await SbConn.connect(sb.urls[(r + i) % 2], await mintToken(secret, `m${r}x${i}_${tag}`));
      await retried(() => c.request('room.join', { roomId: room.id }));
      members.push(c);
    }
    rooms[r] = { roomId: room.id, members };
  });
  const all = rooms.flatMap((r) => r.members);
  let delivered = 0;
  for (const c of all) c.onEvent = (type) => void (type === 'chat.message' && delivered++);
  say(`${roomCount} rooms of ${roomSize} joined`);

  /** @type {Map<string, number>} */
  const counts = new Map();
  const watcher = await natsConnect({ servers: nats.url, name: 'chat-roundtrips' });
  countMessages(watcher, ALL_BUT_CONNECTIONS, counts);
  await watcher.flush();
  await sleep(1000); // let set-up traffic (registry notices, presence reports) pass
  counts.clear();
  delivered = 0;
  const counts0 = await counters({ redisUrl: redis.url, databaseUrl, base: sb.base });
  const pgPids = await postgresPids(databaseUrl);
  const cpu0 = cpuOf(procs, pgPids);
  if (profDir) for (const pid of Object.values(sb.pids)) process.kill(pid, 'SIGUSR2');

  // A fixed rate (one send every 1000/rate ms, round robin over rooms and members), as the fan-out window offers it.
  const errors = {};
  const sends = [];
  const started = Date.now();
  for (let i = 0; i < messages; i++) {
    const wait = started + (i * 1000) / rate - Date.now();
    if (wait > 0) await sleep(wait);
    const room = rooms[i % roomCount];
    const sender = room.members[Math.floor(i / roomCount) % roomSize];
    sends.push(
      sender.request('chat.send', { roomId: room.roomId, text: `m${i}`, clientMsgId: `rt-${tag}-${i}` }).catch((err) => {
        errors[err.code ?? 'error'] = (errors[err.code ?? 'error'] ?? 0) + 1;
      }),
    );
  }
  await Promise.all(sends);
  const expected = (messages - Object.values(errors).reduce((s, n) => s + n, 0)) * roomSize;
  for (let waited = 0; delivered < expected && waited < 10_000; waited += 50) await sleep(50);
  await sleep(300); // the last acks and metrics
  const cpu1 = cpuOf(procs, pgPids);
  if (profDir) for (const pid of Object.values(sb.pids)) process.kill(pid, 'SIGUSR2');
  const natsCounts = new Map(counts);
  const counts1 = await counters({ redisUrl: redis.url, databaseUrl, base: sb.base });
  await Promise.all(all.map((c) => c.close().catch(() => undefined)));
  await watcher.close();
  if (Object.keys(errors).length) say(`errors (the counts include failed sends): ${JSON.stringify(errors)}`);
  if (delivered < expected) {
    say(`LOST: ${delivered} of ${expected} deliveries`);
    process.exitCode = 1;
  }

  console.log(
    report({
      n: messages,
      what: 'send',
      title: `# Round trips per chat.send: ${messages} messages at ${rate}/s over ${roomCount} rooms of ${roomSize} (${delivered} of ${expected} deliveries)${Object.keys(errors).length ? `; ERRORS ${JSON.stringify(errors)}` : ''}`,
      cpu: [cpu0, cpu1],
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
