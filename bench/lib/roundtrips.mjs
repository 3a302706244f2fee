// What join-roundtrips.mjs and resume-roundtrips.mjs both count: Redis INFO commandstats,
// NATS subjects (grouped by kind), Postgres transactions, each service's own Redis/Prisma
// operation counts from /metrics, and each server process's CPU (schedstat, as the bench reads it).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createClient } from 'redis';
import pg from 'pg';
import { cpuSeconds } from './proc.mjs';
import { ensureBuilt, ROOT, startDatabase, startNats, startRedis, startSwitchboard } from './stack.mjs';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** `--name value` as a number, or the default. */
export const numArg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};

/** Ids in subjects (rooms, users, connections, inboxes) collapsed, so subjects group by kind. */
export const patternOf = (subject) =>
  subject
    .replace(/^(_INBOX[^.]*|\$JS\.ACK)\..*$/, '$1.* (replies)')
    .replace(/^(sb\.evt\.(?:room|live|user|conn|presence))\..*$/, '$1.*')
    .replace(/^(\$JS\.API\.[A-Z_.]+?)\.[A-Za-z0-9_-]+(\..*)?$/, '$1.*');

/** `--env K=V` (repeatable): service variables for every process, so two settings compare on the same build. */
export function envArgs(argv = process.argv) {
  return Object.fromEntries(
    argv.flatMap((a, i) => {
      if (a !== '--env') return [];
      const kv = argv[i + 1] ?? '';
      const eq = kv.indexOf('=');
      if (eq < 1) throw new Error(`--env needs K=V, got ${JSON.stringify(kv)}`);
      return [[kv.slice(0, eq), kv.slice(eq + 1)]];
    }),
  );
}

/**
 * The stack a round-trip script measures: private NATS, Redis and databases, and Switchboard on
 * them. With `--cpu-prof <dir>` every Node process is profiled into the layout
 * profile-summary.mjs reads (<dir>/switchboard/<label>.<pid>.cpuprofile; the caller writes
 * <dir>/pids.json naming the processes it measures, and sends SIGUSR2 around the window).
 * @param {string} label the profiles' name @param {(m: string) => void} say
 * @param {Record<string, string>} [env] service variables for every process (join-roundtrips' `--env K=V`)
 */
export async function startRoundtripStack(label, say, env = {}) {
  const profIndex = process.argv.indexOf('--cpu-prof');
  const profDir = profIndex > 0 ? resolve(process.argv[profIndex + 1]) : undefined;
  await ensureBuilt(say);
  const secret = `rt-${Math.random().toString(36).slice(2)}-${Math.random().toString(36).slice(2)}`;
  const [nats, redis, databaseUrl] = await Promise.all([startNats(), startRedis(), startDatabase(say)]);
  const profTarget = profDir && join(profDir, 'switchboard');
  const profEnv = profTarget ? { NODE_OPTIONS: `--import ${join(ROOT, 'bench/lib/cpu-prof.mjs')}`, BENCH_CPU_PROF_DIR: profTarget } : {};
  if (profTarget) {
    mkdirSync(profTarget, { recursive: true });
    writeFileSync(join(profTarget, 'label'), label);
  }
  const sb = await startSwitchboard({ natsUrl: nats.url, redisUrl: redis.url, databaseUrl, jwtSecret: secret, adminKey: `k-${secret}`, extraEnv: { ...env, ...profEnv }, log: say });
  say(`stack up (gateways ${sb.urls.join(', ')})`);
  return { nats, redis, databaseUrl, sb, secret, profDir };
}

/** CPU seconds of each server process, and of the Postgres backends serving the databases together. */
export function cpuOf(procs, pgPids) {
  const out = Object.fromEntries(Object.entries(procs).map(([name, pid]) => [name, cpuSeconds(pid)]));
  out.postgres = pgPids.reduce((s, pid) => s + (cpuSeconds(pid) || 0), 0);
  return out;
}

/**
 * Write and read syscalls of each server process so far (/proc/<pid>/io `syscw`/`syscr`: write,
 * writev, sendmsg… and their reads). On loopback a socket write also runs the receiver's TCP
 * path in the writer's context, so the count of writes is much of a join's cost (ADR 0088).
 * Unlike the message counts it depends on timing: what one turn coalesces (per-turn NATS writes,
 * batched statements) grows with the backlog, so compare runs of similar load. Processes of
 * another user (Postgres) are skipped.
 */
export function syscallsOf(procs) {
  const out = {};
  for (const [name, pid] of Object.entries(procs)) {
    try {
      const io = Object.fromEntries(readFileSync(`/proc/${pid}/io`, 'utf8').trim().split('\n').map((l) => l.split(': ')));
      out[name] = { w: Number(io.syscw), r: Number(io.syscr) };
    } catch {
      // not readable (another user's process) or gone
    }
  }
  return out;
}

export async function postgresPids(databaseUrl) {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  const { rows } = await c.query('select pid from pg_stat_activity where datname like $1 and pid <> pg_backend_pid()', [`${new URL(databaseUrl).pathname.slice(1)}%`]);
  await c.end();
  return rows.map((r) => r.pid);
}

export async function redisStats(url) {
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

export async function pgCommits(databaseUrl) {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  // Backends flush their counters at most once a second when idle.
  await sleep(1500);
  const { rows } = await c.query('select datname, xact_commit::bigint as n from pg_stat_database where datname like $1', [`${new URL(databaseUrl).pathname.slice(1)}%`]);
  await c.end();
  return Object.fromEntries(rows.map((r) => [r.datname, Number(r.n)]));
}

/**
 * Operation counts by process from each service's /metrics: {"rooms postgres Room.findFirst": n}.
 * @param {number} base the stack's port base @param {Record<string, number>} [names] process → metrics port
 */
export async function serviceOps(base, names = { 'gateway-a': base, 'gateway-b': base + 1, rooms: base + 11, presence: base + 12, media: base + 13 }) {
  const out = {};
  for (const [name, port] of Object.entries(names)) {
    const text = await fetch(`http://127.0.0.1:${port}/metrics`).then(
      (r) => r.text(),
      () => '',
    );
    for (const m of text.matchAll(/^switchboard_(redis|postgres)_operation_duration_seconds_count\{[^}]*operation="([^"]+)"[^}]*\} (\d+)/gm)) out[`${name} ${m[1]} ${m[2]}`] = Number(m[3]);
  }
  return out;
}

/** Runs fn(0..n-1) with at most `limit` in flight. */
export function pool(n, limit, fn) {
  let next = 0;
  return Promise.all(
    Array.from({ length: Math.min(n, limit) }, async () => {
      while (next < n) await fn(next++);
    }),
  );
}

/** @typedef {{ redis: Awaited<ReturnType<typeof redisStats>>, pg: Awaited<ReturnType<typeof pgCommits>>, ops: Awaited<ReturnType<typeof serviceOps>> }} Counters */

/**
 * Redis's command stats, Postgres's commits per database and each process's own operation
 * counters, read together: one before the measured phase, one after (`report` takes both).
 * @param {{ redisUrl: string, databaseUrl: string, base: number, ports?: Parameters<typeof serviceOps>[1] }} at
 * @returns {Promise<Counters>}
 */
export async function counters({ redisUrl, databaseUrl, base, ports }) {
  const [redis, pg, ops] = await Promise.all([redisStats(redisUrl), pgCommits(databaseUrl), serviceOps(base, ports)]);
  return { redis, pg, ops };
}

/**
 * The report: CPU per event by process, Redis commands, NATS messages by subject kind, each
 * process's own operations and Postgres transactions, all per `n` events (`what`: "join", "resume").
 * @param {{ n: number, what: string, title: string, cpu: [Record<string, number>, Record<string, number>], io?: [Record<string, { w: number, r: number }>, Record<string, { w: number, r: number }>], counts: [Counters, Counters], nats: Map<string, number>, tag: string }} m
 */
export function report({ n, what, title, cpu: [cpu0, cpu1], io, counts: [{ redis: r0, ops: s0, pg: p0 }, { redis: r1, ops: s1, pg: p1 }], nats, tag }) {
  const per = (x) => (x / n).toFixed(2);
  const lines = [title, ''];
  const cpuRows = Object.keys(cpu1)
    .map((k) => /** @type {[string, number]} */ ([k, ((cpu1[k] - cpu0[k]) * 1e6) / n]))
    .sort((a, b) => b[1] - a[1]);
  lines.push(`Server CPU ms per 1,000 ${what}s: ${cpuRows.reduce((s, [, v]) => s + v, 0).toFixed(0)} (${cpuRows.map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ')})`, '');
  if (io) {
    const [io0, io1] = io;
    const rows = Object.keys(io1)
      .filter((k) => io0[k])
      .map((k) => /** @type {[string, number, number]} */ ([k, (io1[k].w - io0[k].w) / n, (io1[k].r - io0[k].r) / n]))
      .sort((a, b) => b[1] - a[1]);
    const sum = (/** @type {1 | 2} */ i) => rows.reduce((s, r) => s + r[i], 0).toFixed(2);
    lines.push(`Write syscalls per ${what}: ${sum(1)} (${rows.map(([k, w]) => `${k} ${w.toFixed(2)}`).join(', ')}); read syscalls ${sum(2)} (${rows.map(([k, , r]) => `${k} ${r.toFixed(2)}`).join(', ')})`, '');
  }
  lines.push(`| Redis command | calls / ${what} | Redis µs / ${what} |`, '|---|---|---|');
  let calls = 0;
  for (const [cmd, after] of Object.entries(r1).sort((a, b) => b[1].usec - (r0[b[0]]?.usec ?? 0) - (a[1].usec - (r0[a[0]]?.usec ?? 0)))) {
    const d = { calls: after.calls - (r0[cmd]?.calls ?? 0), usec: after.usec - (r0[cmd]?.usec ?? 0) };
    if (!d.calls || cmd === 'info') continue;
    lines.push(`| ${cmd} | ${per(d.calls)} | ${per(d.usec)} |`);
    calls += ['eval', 'evalsha'].includes(cmd) ? d.calls : 0;
  }
  const topLevel = Object.entries(r1).reduce((s, [cmd, a]) => s + a.calls - (r0[cmd]?.calls ?? 0), 0);
  lines.push('', `Redis: ${per(calls)} script calls / ${what}; all commands (incl. inside scripts) ${per(topLevel)} / ${what}.`, '');
  lines.push(`| NATS subject | messages / ${what} |`, '|---|---|');
  let msgs = 0;
  for (const [s, k] of [...nats].sort((a, b) => b[1] - a[1])) {
    lines.push(`| ${s} | ${per(k)} |`);
    msgs += k;
  }
  lines.push('', `NATS: ${per(msgs)} messages / ${what} in all (a wildcard subscriber sees each published message once).`, '');
  lines.push(`| process, client, operation | calls / ${what} |`, '|---|---|');
  for (const [k, v] of Object.entries(s1).sort((a, b) => a[0].localeCompare(b[0]))) if (v - (s0[k] ?? 0) > 0) lines.push(`| ${k} | ${per(v - (s0[k] ?? 0))} |`);
  lines.push('');
  for (const [db, v] of Object.entries(p1)) lines.push(`Postgres ${db.replace(tag, '<pid>')}: ${per(v - (p0[db] ?? 0))} transactions / ${what}`);
  return lines.join('\n');
}

/**
 * Every subject kind but the connections' own (`sb.evt.conn.*`): a subscriber there is interest
 * in every connection's subject, so a probe of a dead connection (rooms' `session.resume`) would
 * wait for its timeout instead of getting NATS's immediate "no responders".
 */
export const ALL_BUT_CONNECTIONS = [
  'sb.cmd.>',
  'sb.sys.>',
  'sb.evt.room.>',
  'sb.evt.live.>',
  'sb.evt.user.>',
  'sb.evt.presence.>',
  '$JS.>',
  '_INBOX.>',
  ...['gateway', 'rooms', 'presence', 'media', 'attestation'].map((u) => `_INBOX_${u}.>`),
];

/** An event's type (field 1 of its bus.v1.Event envelope) on event subjects, so the counts say which events. */
const eventType = (subject, data) => (/^sb\.evt\./.test(subject) && data[0] === 0x0a && data[1] < 0x80 ? ` ${Buffer.from(data.subarray(2, 2 + data[1])).toString()}` : '');

/** Counts the messages on `subjects` by kind (patternOf, and the event type on event subjects) into `counts`. */
export function countMessages(nc, subjects, counts) {
  const count = (m) => {
    const k = patternOf(m.subject) + eventType(m.subject, m.data);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  };
  for (const s of subjects) nc.subscribe(s, { callback: (_e, m) => count(m) });
}
