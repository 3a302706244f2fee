#!/usr/bin/env node
// The database work of one chat.send (ADR 0063), three ways, on a private migrated database:
//   prisma: today's statements (membership with room, retry lookup with reactions, create);
//   raw-prisma / raw-pg: one INSERT … SELECT … WHERE member ON CONFLICT DO NOTHING RETURNING,
//   through Prisma's $queryRawUnsafe and through node-postgres directly.
// Reports this process's CPU (user+system) per message, the CPU of the Postgres backends serving
// the database (the fan-out bench does not see pool connections opened after a run starts), and
// wall time; sequential and N in flight.
// raw-pg-batch8 stores 8 messages per statement (ChatStore's group-commit statement), what group
// commit does at best; its CPU is per message. raw-pg-prepared is raw-pg as a named (prepared) statement.
//   node bench/chat-insert.mjs [--n 3000] [--concurrency 8] [--only raw-pg,raw-pg-prepared]
import { cpuUsage } from 'node:process';
import pg from 'pg';
import { createPrismaClient } from '@switchboard/platform';
import { PrismaClient } from '../services/rooms/dist/generated/prisma/client.js';
// The statement ChatStore.insertIfMember runs, not a copy of it.
import { INSERT_IF_MEMBER as INSERT, INSERT_IF_MEMBER_BATCH as INSERT_BATCH } from '../services/rooms/dist/chat/chat.store.js';
import { cpuSeconds } from './lib/proc.mjs';
import { cleanupAll, installExitHandlers, startDatabase } from './lib/stack.mjs';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const N = arg('n', 3000);
const CONCURRENCY = arg('concurrency', 8);

const BATCH = 8;
installExitHandlers();
const url = await startDatabase((m) => console.error(m));
const prisma = createPrismaClient(PrismaClient, url);
const pool = new pg.Pool({ connectionString: url, max: 10 });
// Its own backend is left out of what it measures.
const admin = new pg.Client({ connectionString: url });
await admin.connect();
/** CPU seconds of every other backend of the database, by pid. */
async function backendCpu() {
  const { rows } = await admin.query('SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
  return new Map(rows.map((r) => [r.pid, cpuSeconds(r.pid)]));
}
const roomId = 'r_micro';
const userId = 'u_micro';
await prisma.room.create({ data: { id: roomId, name: 'micro', kind: 'group', joinPolicy: 'open', ownerId: userId, maxParticipants: 100 } });
await prisma.member.create({ data: { roomId, userId, role: 'owner' } });

let k = 0;
const variants = {
  async prisma() {
    const key = `p${k++}`;
    const member = await prisma.member.findUnique({ where: { roomId_userId: { roomId, userId } }, include: { room: true } });
    if (!member) throw new Error('not a member');
    const retried = await prisma.message.findUnique({ where: { roomId_userId_clientMsgId: { roomId, userId, clientMsgId: key } }, include: { reactions: true } });
    if (retried) throw new Error('retry');
    return prisma.message.create({ data: { id: `m${key}`, roomId, userId, clientMsgId: key, text: String(Date.now()), attachments: [] } });
  },
  async 'raw-prisma'() {
    const key = `q${k++}`;
    const rows = /** @type {unknown[]} */ (await prisma.$queryRawUnsafe(INSERT, `m${key}`, roomId, userId, key, String(Date.now())));
    if (rows.length !== 1) throw new Error('not inserted');
  },
  async 'raw-pg'() {
    const key = `g${k++}`;
    const { rows } = await pool.query(INSERT, [`m${key}`, roomId, userId, key, String(Date.now())]);
    if (rows.length !== 1) throw new Error('not inserted');
  },
  // A named statement: parsed and planned once per connection, then only Bind/Execute (ADR 0073).
  async 'raw-pg-prepared'() {
    const key = `n${k++}`;
    const { rows } = await pool.query({ name: 'insert-if-member', text: INSERT, values: [`m${key}`, roomId, userId, key, String(Date.now())] });
    if (rows.length !== 1) throw new Error('not inserted');
  },
  async 'raw-pg-batch8'() {
    const keys = Array.from({ length: BATCH }, () => `b${k++}`);
    const { rows } = await pool.query(INSERT_BATCH, [keys.map((x) => `m${x}`), keys.map(() => roomId), keys.map(() => userId), keys, keys.map(() => String(Date.now()))]);
    if (rows.length !== BATCH) throw new Error('not inserted');
  },
};
// --only raw-pg,raw-pg-prepared: just those variants.
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1].split(',') : undefined;
if (only) for (const name of Object.keys(variants)) if (!only.includes(name)) delete variants[name];
/** Messages one call of a variant stores. */
const perCall = (name) => (name === 'raw-pg-batch8' ? BATCH : 1);

async function measure(fn, n, concurrency, per = 1) {
  const pgBefore = await backendCpu();
  const start = cpuUsage();
  const t0 = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < n) {
      next += per;
      await fn();
    }
  }));
  const cpu = cpuUsage(start);
  const wallMs = performance.now() - t0;
  let pgSeconds = 0;
  for (const [pid, s] of await backendCpu()) if (Number.isFinite(s)) pgSeconds += s - (pgBefore.get(pid) ?? 0);
  return { cpuUsPerSend: (cpu.user + cpu.system) / n, pgUsPerSend: (pgSeconds * 1e6) / n, wallMs };
}

try {
  // Warm every path (JIT, pools, Prisma's plan cache) before measuring.
  for (const [name, fn] of Object.entries(variants)) await measure(fn, 300, CONCURRENCY, perCall(name));
  const rows = [];
  // Interleaved rounds, so machine load hits every variant alike.
  for (let round = 0; round < 3; round++) {
    for (const [name, fn] of Object.entries(variants)) {
      for (const c of [1, CONCURRENCY]) rows.push({ round, name, concurrency: c, ...(await measure(fn, N, c, perCall(name))) });
    }
  }
  console.log(`chat.send database work, ${N} sends per cell, 3 interleaved rounds (median [min–max]); load average ${(await import('node:os')).loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  console.log('| variant | statements in flight | node CPU µs per message | Postgres CPU µs per message | messages/s (wall) |');
  console.log('|---|---|---|---|---|');
  for (const name of Object.keys(variants)) {
    for (const c of [1, CONCURRENCY]) {
      const cells = rows.filter((r) => r.name === name && r.concurrency === c);
      const cpu = cells.map((r) => r.cpuUsPerSend).sort((a, b) => a - b);
      const pgCpu = cells.map((r) => r.pgUsPerSend).sort((a, b) => a - b);
      const rate = cells.map((r) => (N / r.wallMs) * 1000).sort((a, b) => a - b);
      console.log(`| ${name} | ${c} | ${cpu[1].toFixed(0)} [${cpu[0].toFixed(0)}–${cpu[2].toFixed(0)}] | ${pgCpu[1].toFixed(0)} [${pgCpu[0].toFixed(0)}–${pgCpu[2].toFixed(0)}] | ${rate[1].toFixed(0)} [${rate[0].toFixed(0)}–${rate[2].toFixed(0)}] |`);
    }
  }
} finally {
  await prisma.$disconnect();
  await pool.end();
  await admin.end();
  await cleanupAll();
}
