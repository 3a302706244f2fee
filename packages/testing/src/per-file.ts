import { appendFileSync, readFileSync } from 'node:fs';
import { createRedis, redisMasters } from '@switchboard/platform';
import { afterAll, beforeAll } from 'vitest';
// @ts-expect-error plain ESM script without types
import { cpuFromProcStat as cpuFromProcStatJs } from '../../../scripts/lib/phases.mjs';
import { natsViolationsSince } from './infra.js';
import { slot } from './slot.js';

// SB_TEST_CPU_LOG=<file>: one JSON line per file with its wall and CPU seconds (this worker
// process plus the children it reaped: spawned services, Chromium, LiveKit), from the setup of the
// file to its last hook (issue 12, ADR 0085: where the suite's CPU goes; npm test prints the top).
// Registered first, so its afterAll runs last (after the file's own and the checks below).
const cpuLog = process.env.SB_TEST_CPU_LOG;
const cpuFromProcStat: (stat: string) => { self: number; children: number } = cpuFromProcStatJs;
if (cpuLog) {
  const cpu = () => ({ ...cpuFromProcStat(readFileSync('/proc/self/stat', 'utf8')), wall: performance.now() / 1000 });
  const start = cpu();
  afterAll((suite) => {
    const end = cpu();
    const r = (n: number) => Math.round(n * 100) / 100;
    const file = 'filepath' in suite ? String(suite.filepath) : suite.name;
    appendFileSync(
      cpuLog,
      `${JSON.stringify({ file, pool: process.env.VITEST_POOL_ID, wallS: r(end.wall - start.wall), selfCpuS: r(end.self - start.self), childCpuS: r(end.children - start.children) })}\n`,
    );
  });
}

// Test files run one at a time against the shared private NATS/Redis (vitest.config.ts), and
// each stops what it started. Flushing Redis before a file means no key, relay entry or
// presence record from an earlier file can leak into this one's assertions.
beforeAll(async () => {
  // On a Redis Cluster every master holds a part of the keys: each is flushed.
  const redis = createRedis(slot().redisUrl);
  await redis.ping();
  await Promise.all(redisMasters(redis).map((node) => node.flushall()));
  await redis.quit();
});

// A worker runs its files one after another in one process (isolate: false, ADR 0077): a
// service, client or timer a file left running would live on into the next file, answer its
// commands, write its keys. Whatever holds a Redis connection (every service, every store) must
// be gone when the file's own hooks have run, or the file fails, naming the connections.
// Registered before the NATS check below, so it runs after it, last of all.
afterAll(async () => {
  const redis = createRedis(slot().redisUrl);
  try {
    await redis.ping();
    const leftOpen = async () => {
      const lists = await Promise.all(
        redisMasters(redis).map(async (node) => {
          const [self, list] = await Promise.all([node.client('ID') as Promise<number>, node.client('LIST') as Promise<string>]);
          // Replication links (flags S/M) are the cluster's own; the rest are clients.
          return list.split('\n').filter((l) => l && !l.startsWith(`id=${self} `) && !/ flags=\w*[SM]/.test(l));
        }),
      );
      return lists.flat();
    };
    // A closed client's socket may still be in the server's list for a moment.
    const deadline = Date.now() + 10_000;
    let open = await leftOpen();
    while (open.length && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      open = await leftOpen();
    }
    if (open.length) throw new Error(`this file left ${open.length} Redis connection(s) open after its hooks ran (a service or store not stopped):\n${open.slice(0, 10).join('\n')}`);
  } finally {
    redis.disconnect();
  }
});

// Every NATS user is held to its subject permissions (nats-permissions.ts). A Permissions
// Violation in the server log while this file ran is a bug (a missing table entry, or code
// acting outside its role): the file fails. Registered first, so it runs after the file's own
// afterAll hooks have stopped what it started.
let natsLogFrom = 0;
beforeAll(() => {
  natsLogFrom = natsViolationsSince(slot().natsLogFile, 0).size;
});
// The file's own hooks drained its NATS connections (the server has processed, and logged,
// everything they sent) before this runs.
afterAll(() => {
  const { lines } = natsViolationsSince(slot().natsLogFile, natsLogFrom);
  if (lines.length) throw new Error(`NATS permission violations during this file:\n${lines.slice(0, 20).join('\n')}`);
});
