import { availableParallelism } from 'node:os';
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';
import { FirstTheLongest } from './packages/testing/src/sequencer.js';

/**
 * SB_TEST_CLUSTERED=1 runs these files a second time on a 3-node NATS cluster and a Redis Cluster
 * (3 masters per worker, no replicas: ADR 0102; packages/testing/src/infra.ts): the store-level files of every
 * multi-key script and MULTI, and the service files whose flows span slots (seats + connection
 * index, floor + due set, call claims). `npm test` runs both passes (docs/decisions/0031).
 * The failure tests on the clustered stack (test/cluster/, each on private clusters it may kill
 * nodes of) run in this pass: scripts/test.mjs leaves them out of the first, busier pass
 * (SB_TEST_SKIP_CLUSTER_FILES=1); named on the command line they run in either.
 */
export const CLUSTER_FAILURE_TESTS = 'test/cluster/*.spec.ts';
export const CLUSTERED_SUITE = [
  CLUSTER_FAILURE_TESTS,
  'packages/platform/src/due.store.spec.ts',
  'packages/platform/src/window-counter.spec.ts',
  'services/presence/src/liveness/liveness.store.spec.ts',
  'services/presence/src/rendezvous/rendezvous.store.spec.ts',
  'services/rooms/src/rooms/paging.spec.ts',
  'services/rooms/src/floor/floor.spec.ts',
  'services/rooms/src/sessions/sessions.spec.ts',
  'services/media/src/calls/calls.spec.ts',
  'test/e2e/gateway-resume.spec.ts',
];
const clustered = process.env.SB_TEST_CLUSTERED === '1';

// Test files run in parallel, one per worker at a time; every worker has its own NATS, Redis
// and databases (packages/testing/src/global-setup.ts, ADR 0018). Most integration time is waiting on
// timers and round trips, not CPU, so a small machine still gains from a few more workers than
// cores. TEST_WORKERS overrides.
// A clustered slot is 6 servers (3 NATS + 3 Redis): two of them at most.
const workers = Number(process.env.TEST_WORKERS) || (clustered ? 2 : Math.min(6, Math.max(3, availableParallelism() + 1)));

// SWC (not esbuild) compiles tests because NestJS DI needs emitDecoratorMetadata.
export default defineConfig({
  // The clustered pass keeps its own cache (vitest's results, which the sequencer reads): its files'
  // durations differ from the first pass's.
  ...(clustered ? { cacheDir: '.run/vite-clustered' } : {}),
  plugins: [swc.vite({ jsc: { parser: { syntax: 'typescript', decorators: true }, transform: { legacyDecorator: true, decoratorMetadata: true }, target: 'es2022' } })],
  // Workspace packages resolve to their TypeScript sources (the `source` export condition), not dist/.
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // A worker process runs its files one after another in one module graph (ADR 0077): a file no
    // longer pays for a fresh process that loads Nest, Prisma, gRPC and OpenTelemetry again (about
    // a third of the pass's CPU). Each file's own setup still runs (per-file.ts: Redis flushed, NATS
    // log offset); what a file changes in the process (timers, globals, env) it restores itself.
    // minWorkers = maxWorkers: an idle worker is not ended and restarted with a cold module graph,
    // and VITEST_POOL_ID stays 1..maxWorkers (one infrastructure slot each). (minForks 0, to spare
    // the workers vitest starts again after the last file, ended the run with tinypool's
    // "Terminating worker thread" as an unhandled rejection: ADR 0094.)
    isolate: false,
    maxWorkers: workers,
    minWorkers: workers,
    // The unit tier runs on one thread (ADR 0094). Each thread loads the tier's module graph once
    // (isolate: false), and the tier's ~60 files take about 20 s beside the integration files:
    // three threads used 17.4 CPU s, one 10.3-12.3, and was no slower on the two busy cores.
    poolOptions: { threads: { maxThreads: 1, minThreads: 1 } },
    // Files that take longest start first, so none of them ends the run alone (sequencer.ts).
    sequence: { sequencer: FirstTheLongest },
    reporters: ['default'],
    // Product code only. packages/testing is the test harness (it was test/support/, outside the include, when
    // the 97.48 % baseline was measured); its global setup runs in vitest's main process, which v8 coverage never sees.
    coverage: {
      provider: 'v8',
      include: ['{packages,services}/*/src/**'],
      exclude: ['**/*.spec.ts', '**/*.test.ts', '**/gen/**', '**/generated/**', 'packages/testing/**'],
      reporter: ['text-summary', 'json-summary'],
    },
    projects: [
      // Logic with fakes and fake timers: no process, socket or database (npm run test:unit); not in the clustered pass.
      ...(clustered
        ? []
        : [
            {
              extends: true as const,
              // Worker threads, not forks: vitest runs each pool's files beside the other pool's, while
              // two projects in one non-isolated pool run one after the other (ADR 0077).
              test: { name: 'unit', pool: 'threads' as const, include: ['{packages,services}/*/src/**/*.unit.spec.ts', 'bench/lib/*.unit.spec.mjs'] },
            },
          ]),
      {
        // Real NATS, Redis, Postgres, gRPC, browsers: one private set per worker.
        extends: true,
        test: {
          name: 'integration',
          include: clustered ? CLUSTERED_SUITE : ['{packages,services}/*/src/**/*.spec.ts', 'apps/*/server/**/*.spec.ts', 'scripts/lib/*.spec.mjs', 'test/**/*.spec.ts'],
          exclude: ['**/*.unit.spec.ts', '**/node_modules/**', ...(!clustered && process.env.SB_TEST_SKIP_CLUSTER_FILES === '1' ? [CLUSTER_FAILURE_TESTS] : [])],
          globalSetup: ['packages/testing/src/global-setup.ts'],
          setupFiles: ['packages/testing/src/per-file.ts'],
        },
      },
    ],
  },
});
