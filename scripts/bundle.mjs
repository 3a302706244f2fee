#!/usr/bin/env node
// node scripts/bundle.mjs [--if-stale]
//
// Bundles the five services (tsc's output, services/<name>/dist/service.js) and what they import
// from packages/ and node_modules into one CommonJS file, dist/bundle/services.cjs (+ a linked source map),
// and writes dist/bundle/<name>.mjs beside it: the file a service's process runs (npm start, the
// image, the spawned-process tests). Why (issue 12, ADR 0093): a process loading the ~1,500 files
// of its module graph spent ~1.7 CPU s resolving, stat-ing, reading, format-detecting
// (cjs-module-lexer) and compiling them; from the bundle it loads in less than half of that.
// Input is tsc's JavaScript, so decorators and their design:* metadata are tsc's.
// --if-stale: bundles only when a bundle is missing or older than one of its inputs
// (dist/bundle/inputs.json): the test run's global setup calls it so, after any `tsc -b`.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const SERVICES = ['gateway', 'rooms', 'presence', 'media', 'attestation'];

const outdir = join(root, 'dist/bundle');
const inputsFile = join(outdir, 'inputs.json');
/**
 * All five services in one CommonJS file; each `<name>.mjs` beside it starts one of them through
 * a V8 code cache (scripts/lib/code-cache.mjs, ADR 0101: V8 caches only scripts, not ESM).
 */
const shared = join(outdir, 'services.cjs');

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

// The bundle runs in CommonJS's wrapper (require, __filename, __dirname of the bundle). Strict, as
// the ESM bundle before it was (ADR 0093); the ESM parts' import.meta.url is the bundle's URL.
const BANNER = ['"use strict";', 'const __sbImportMetaUrl = require("node:url").pathToFileURL(__filename).href;'].join('\n');

/** True when a bundle is missing or one of the recorded inputs changed after the bundle was written. */
export function isStale() {
  if (!existsSync(inputsFile) || ![shared, ...SERVICES.map(bundleEntry)].every((f) => existsSync(f))) return true;
  const built = statSync(shared).mtimeMs;
  /** @type {string[]} */
  const inputs = JSON.parse(readFileSync(inputsFile, 'utf8'));
  return inputs.some((f) => {
    const path = join(root, f);
    return !existsSync(path) || statSync(path).mtimeMs > built;
  });
}

/**
 * The bundle's entry: each service's definition behind an `import()`, which esbuild keeps lazy in
 * one file, so a process runs the module code of its own service only (the others' code is only
 * pre-parsed: ~0.05 CPU s more per process than five separate bundles, which took 2.4x the CPU
 * to build and 63 MB instead of 17).
 */
const ENTRY = [
  "import { runService } from '@switchboard/platform';",
  'const services = {',
  ...SERVICES.map((s) => `  ${s}: () => import('./services/${s}/dist/service.js').then((m) => m.${s}Service()),`),
  '};',
  '/** Starts one service as this process (what services/<name>/src/main.ts does). */',
  'export const run = async (service) => runService(await services[service]());',
  "/** Runs every service's module code, starting none: the build's warm-up of the code cache. */",
  'export const loadAll = () => Promise.all(Object.values(services).map((load) => load()));',
].join('\n');

/** A service's process entry: the bundle through its code cache, saved once the service has started. */
const entry = (/** @type {string} */ service, /** @type {string} */ hash) =>
  [
    `// ${service}: the service's process entry (scripts/bundle.mjs, ADRs 0093 and 0101).`,
    "import { fileURLToPath } from 'node:url';",
    "import { loadBundle } from '../../scripts/lib/code-cache.mjs';",
    '',
    `const bundle = loadBundle(fileURLToPath(new URL('./services.cjs', import.meta.url)), '${hash}');`,
    `await bundle.exports.run('${service}');`,
    'bundle.saveCache();',
    '',
  ].join('\n');

/**
 * Writes the bundle's code cache now, from a process that runs every service's module code
 * (no service started): the image's /app is read-only, so a pod could never save one itself.
 * The functions a start compiles later still compile lazily.
 */
async function warmCodeCache(/** @type {string} */ hash) {
  const code = [
    `import { loadBundle } from ${JSON.stringify(pathToFileURL(join(root, 'scripts/lib/code-cache.mjs')).href)};`,
    `const bundle = loadBundle(${JSON.stringify(shared)}, ${JSON.stringify(hash)});`,
    'await bundle.exports.loadAll();',
    "if (!bundle.saveCache('build')) throw new Error('no code cache written beside the bundle');",
  ].join('\n');
  // Not spawnSync: the test run's global setup starts the infrastructure meanwhile.
  await promisify(execFile)(process.execPath, ['--input-type=module', '-e', code], { cwd: root, env: { ...process.env, NODE_OPTIONS: '' } });
}

/** Bundles the services; with ifStale only when isStale(). True when it bundled. */
export async function bundleServices({ ifStale = false } = {}) {
  if (ifStale && !isStale()) return false;
  const { build } = await import('esbuild');
  rmSync(outdir, { recursive: true, force: true });
  const result = await build({
    absWorkingDir: root,
    stdin: { contents: ENTRY, resolveDir: root, sourcefile: 'services.mjs', loader: 'js' },
    outfile: shared,
    bundle: true,
    // One file, no code splitting: esbuild's shared chunks can run a module before one it needs
    // (its issue #399: Reflect.getOwnMetadata missing at the first decorator, OpenTelemetry's
    // re-exports undefined). CommonJS, so V8 can cache its compiled code (ADR 0101).
    format: 'cjs',
    define: { 'import.meta.url': '__sbImportMetaUrl' },
    // import() of a Node built-in or an external becomes require(): a vm.Script has no module
    // loader of its own (the services' lazy import()s stay lazy inside the file either way).
    supported: { 'dynamic-import': false },
    platform: 'node',
    target: 'node20',
    // Names stay: Nest resolves providers and logs by class name, pino and errors print them.
    keepNames: true,
    // Maps without the sources' text: they point at tsc's dist/*.js and node_modules, which ship
    // beside the bundle (image, repository); less CPU to write, 60% smaller.
    sourcemap: 'linked',
    sourcesContent: false,
    external: EXTERNAL,
    banner: { js: BANNER },
    metafile: true,
    logLevel: 'warning',
  });
  // ASCII only, so the loader reads it as latin1: a one-byte string straight from the bytes, where
  // decoding 17 MB of UTF-8 took ~0.07 CPU s a process. esbuild escapes strings already; what is
  // left (comments, a regular expression) gets \u escapes, which mean the same there.
  const text = readFileSync(shared, 'utf8');
  const ascii = text.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (ascii !== text) writeFileSync(shared, ascii);
  // The entries name the cache by the bundle's hash: V8 checks only a cache's source length.
  const hash = createHash('sha256').update(readFileSync(shared)).digest('hex').slice(0, 16);
  for (const s of SERVICES) writeFileSync(bundleEntry(s), entry(s, hash));
  await warmCodeCache(hash);
  // The files read (the generated entry, named services.mjs in the metafile, is not one).
  const inputs = Object.keys(result.metafile.inputs).filter((f) => existsSync(join(root, f)));
  writeFileSync(inputsFile, `${JSON.stringify(inputs.map((f) => relative(root, join(root, f))))}\n`);
  return true;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const bundled = await bundleServices({ ifStale: process.argv.includes('--if-stale') });
  console.log(bundled ? `bundled ${SERVICES.join(', ')} into dist/bundle/` : 'dist/bundle/ is current');
}
