import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

/**
 * SB_TEST_CLUSTERED=1 runs these files a second time on a 3-node NATS cluster and a Redis Cluster
 * (3 masters + 3 replicas; test/support/infra.ts): the store-level files of every multi-key script
 * and MULTI, and the service files whose flows span slots (seats + connection index, floor + due
 * set, call claims). `npm test` runs both passes (docs/decisions/0031).
 */
export const CLUSTERED_SUITE = [
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

// SWC (not esbuild) compiles tests because NestJS DI needs emitDecoratorMetadata.
export default defineConfig({
  plugins: [swc.vite({ jsc: { parser: { syntax: 'typescript', decorators: true }, transform: { legacyDecorator: true, decoratorMetadata: true }, target: 'es2022' } })],
  // Workspace packages resolve to their TypeScript sources (the `source` export condition), not dist/.
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    globalSetup: ['test/support/global-setup.ts'],
    include: clustered ? CLUSTERED_SUITE : ['{packages,services}/*/src/**/*.spec.ts', 'scripts/lib/*.spec.mjs', 'test/**/*.spec.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    setupFiles: ['test/support/per-file.ts'],
    pool: 'forks',
    // Service replicas started by different files would join the same NATS queue groups and
    // answer each other's commands with other settings: files run one after another.
    fileParallelism: false,
    reporters: ['default'],
  },
});
