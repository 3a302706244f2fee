import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

// SWC (not esbuild) compiles tests because NestJS DI needs emitDecoratorMetadata.
export default defineConfig({
  plugins: [swc.vite({ jsc: { parser: { syntax: 'typescript', decorators: true }, transform: { legacyDecorator: true, decoratorMetadata: true }, target: 'es2022' } })],
  // Workspace packages resolve to their TypeScript sources (the `source` export condition), not dist/.
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    globalSetup: ['test/support/global-setup.ts'],
    include: ['{packages,services}/*/src/**/*.spec.ts', 'apps/*/server/**/*.spec.ts', 'scripts/lib/*.spec.mjs', 'test/**/*.spec.ts'],
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
