import { resolve } from 'node:path';
import { defineConfig } from 'vite';

// Two pages: the demo (/) and the admin console (/admin/). Output goes to dist/web, which the
// demo server (server/main.ts) serves. Everything is bundled from npm packages: no CDN.
export default defineConfig({
  root: __dirname,
  base: '/',
  logLevel: 'warn',
  build: {
    outDir: 'dist/web',
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 1500,
    rollupOptions: { input: { main: resolve(__dirname, 'index.html'), admin: resolve(__dirname, 'admin/index.html') } },
  },
});
