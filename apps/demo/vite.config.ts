import { resolve } from 'node:path';
import { defaultClientConditions, defineConfig } from 'vite';

// Two pages: the demo (/) and the admin console (/admin/). Output goes to dist/web, which the
// demo server (server/main.ts) serves. Everything is bundled from npm packages: no CDN.
export default defineConfig({
  root: __dirname,
  base: '/',
  // Workspace packages from their TypeScript sources (the `source` export condition), as the tests
  // resolve them: the build needs no `tsc -b` first, so `npm test` runs it beside the build.
  resolve: { conditions: ['source', ...defaultClientConditions] },
  logLevel: 'warn',
  build: {
    outDir: 'dist/web',
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 1500,
    rollupOptions: {
      input: { main: resolve(__dirname, 'index.html'), admin: resolve(__dirname, 'admin/index.html') },
      // zod's pure-annotations sit where Rollup cannot use them; harmless, and not ours to fix.
      onwarn: (warning, warn) => warning.code !== 'INVALID_ANNOTATION' && warn(warning),
    },
  },
});
