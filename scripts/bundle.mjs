#!/usr/bin/env node
// node scripts/bundle.mjs [--if-stale]
//
// Bundles each service's compiled entry (services/<name>/dist/main.js, tsc's output) and what it
// imports from packages/ and node_modules into dist/bundle/<name>.mjs and shared chunks (+ linked
// source maps): the file a service process runs (npm start, the image, the spawned-process tests).
// Why (issue 12, ADR 0093): a process loading the ~1,500 files of its module graph spent ~1.7 CPU s
// resolving, stat-ing, reading, format-detecting (cjs-module-lexer) and compiling them; from a
// bundle about a third of that. One esbuild run for all five, so what they share is parsed once.
// Input is tsc's JavaScript, so decorators and their design:* metadata are tsc's.
// --if-stale: bundles only when a bundle is missing or older than one of its inputs
// (dist/bundle/inputs.json): the test run's global setup calls it so, after any `tsc -b`.
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const SERVICES = ['gateway', 'rooms', 'presence', 'media', 'attestation'];

const outdir = join(root, 'dist/bundle');
const inputsFile = join(outdir, 'inputs.json');

/** The file a service process runs. */
export const bundleEntry = (/** @type {string} */ service) => join(outdir, `${service}.mjs`);

/**
 * Left to Node's resolver at run time: optional peers that Nest and pino load with a guarded
 * require only when configured (none is: no microservices, no socket.io/fastify adapter, no
 * pretty printer), so bundling them would fail or add dead code.
 */
const EXTERNAL = [
  '@nestjs/microservices',
  '@nestjs/microservices/*',
  '@nestjs/websockets/socket-module',
  '@nestjs/platform-socket.io',
  '@nestjs/platform-fastify',
  '@fastify/*',
  'class-transformer',
  'class-validator',
  'pino-pretty',
];

// ESM output still holds CommonJS packages (Nest, grpc-js, ioredis): they get a real require
// (for Node built-ins and the externals) and __dirname/__filename of the bundle.
const BANNER = [
  "import { createRequire as __sbCreateRequire } from 'node:module';",
  "import { fileURLToPath as __sbFileURLToPath } from 'node:url';",
  "import { dirname as __sbDirname } from 'node:path';",
  'const require = __sbCreateRequire(import.meta.url);',
  'const __filename = __sbFileURLToPath(import.meta.url);',
  'const __dirname = __sbDirname(__filename);',
].join('\n');

/** True when a bundle is missing or one of the recorded inputs changed after the bundles were written. */
export function isStale() {
  if (!existsSync(inputsFile) || !SERVICES.every((s) => existsSync(bundleEntry(s)))) return true;
  const built = Math.min(...SERVICES.map((s) => statSync(bundleEntry(s)).mtimeMs));
  /** @type {string[]} */
  const inputs = JSON.parse(readFileSync(inputsFile, 'utf8'));
  return inputs.some((f) => {
    const path = join(root, f);
    return !existsSync(path) || statSync(path).mtimeMs > built;
  });
}

/** Bundles every service; with ifStale only when isStale(). True when it bundled. */
export async function bundleServices({ ifStale = false } = {}) {
  if (ifStale && !isStale()) return false;
  const { build } = await import('esbuild');
  rmSync(outdir, { recursive: true, force: true });
  const result = await build({
    absWorkingDir: root,
    entryPoints: Object.fromEntries(SERVICES.map((s) => [s, join('services', s, 'dist/main.js')])),
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    // No code splitting: esbuild's shared chunks can run a module before one it needs (its issue
    // #399; Reflect.getMetadata missing at the first decorator, OpenTelemetry's re-exports
    // undefined). Parsed once, linked five times; an `await import()` stays inline (V8 pre-parses
    // it only).
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // Names stay: Nest resolves providers and logs by class name, pino and errors print them.
    keepNames: true,
    // Maps without the sources' text: they point at tsc's dist/*.js and node_modules, which ship
    // beside the bundles (image, repository); a sixth less CPU to write, 60% smaller.
    sourcemap: 'linked',
    sourcesContent: false,
    external: EXTERNAL,
    banner: { js: BANNER },
    metafile: true,
    logLevel: 'warning',
  });
  mkdirSync(outdir, { recursive: true });
  writeFileSync(inputsFile, `${JSON.stringify(Object.keys(result.metafile.inputs).map((f) => relative(root, join(root, f))))}\n`);
  return true;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const bundled = await bundleServices({ ifStale: process.argv.includes('--if-stale') });
  console.log(bundled ? `bundled ${SERVICES.join(', ')} into dist/bundle/` : 'dist/bundle/ is current');
}
