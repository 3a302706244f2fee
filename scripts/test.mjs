#!/usr/bin/env node
// npm test: everything CI checks, in order — infrastructure (install/start if missing), generated
// code freshness, type-checked build and tests, lint, Helm chart lint/render, then all unit and
// integration tests (vitest, against real NATS/Redis/Postgres), then the store-level files again on
// a NATS cluster and a Redis Cluster (SB_TEST_CLUSTERED=1) with the failure tests of test/cluster/.
// Extra args go to vitest (first pass only).
import { spawn, spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureInfra } from './lib/infra.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const vitestArgs = process.argv.slice(2);
const step = (label, cmd, args) => {
  const started = Date.now();
  console.log(`\n[test] ${label}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: process.env });
  if (r.status !== 0) {
    console.error(`[test] ${label} failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status ?? 1);
  }
  console.log(`[test] ${label} ok (${((Date.now() - started) / 1000).toFixed(1)} s)`);
};

/** Runs `[label, cmd, args]` steps, `availableParallelism()` at a time; exits on the first failure. */
async function parallelSteps(steps) {
  const queue = [...steps];
  const run = ([label, cmd, args]) =>
    new Promise((resolve) => {
      const started = Date.now();
      const child = spawn(cmd, args, { cwd: root, env: { ...process.env, FORCE_COLOR: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (d) => (output += d));
      child.stderr.on('data', (d) => (output += d));
      child.on('close', (code, signal) => {
        console.log(`\n[test] ${label}\n${output.trimEnd()}`);
        if (code !== 0) {
          console.error(`[test] ${label} failed (exit ${code ?? signal})`);
          process.exit(code ?? 1);
        }
        console.log(`[test] ${label} ok (${((Date.now() - started) / 1000).toFixed(1)} s)`);
        resolve(undefined);
      });
    });
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) await run(next);
  };
  await Promise.all(Array.from({ length: Math.min(availableParallelism(), steps.length) }, worker));
}

await ensureInfra({ log: (l) => console.log(`[test] ${l}`), timeoutMs: 60_000 }).catch((err) => {
  console.error(`[test] infrastructure is not available: ${err.message}`);
  process.exit(1);
});
step('generated code is current (buf + ts-proto, prisma)', process.execPath, ['scripts/gen.mjs', '--check']);
step('prisma clients', process.execPath, ['scripts/gen.mjs', '--prisma-only']);
step('build (tsc -b)', join(root, 'node_modules/.bin/tsc'), ['-b']);
// The checks after the build read only what it wrote and are mostly single-threaded: run them
// side by side (one per core) and print each one's output when it ends.
await parallelSteps([
  ['lint (eslint)', join(root, 'node_modules/.bin/eslint'), ['--max-warnings=0', '.']],
  ['type-check tests (tsconfig.spec.json)', join(root, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.spec.json']],
  ['type-check tooling .mjs (tsconfig.tools.json)', join(root, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.tools.json']],
  ['demo app and admin console (vite build)', 'npm', ['run', '--silent', 'build', '-w', '@switchboard/demo']],
  ['helm chart (lint + render)', process.execPath, ['scripts/helm-check.mjs']],
]);
// The JSON report gives CI a plain closing line ("N passed, N failed") whatever happens.
mkdirSync(join(root, '.run'), { recursive: true });
const report = join(root, '.run/vitest-report.json');
// test/cluster/ (the failure tests on private clusters) runs in the clustered pass below, where
// two workers leave the CPU to the failovers it measures; named on the command line, it runs here.
const firstPassEnv = vitestArgs.length ? process.env : { ...process.env, SB_TEST_SKIP_CLUSTER_FILES: '1' };
const vitest = spawnSync(join(root, 'node_modules/.bin/vitest'), ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...vitestArgs], { cwd: root, stdio: 'inherit', env: firstPassEnv });
if (existsSync(report)) {
  const r = JSON.parse(readFileSync(report, 'utf8'));
  console.log(`\n${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
}
if (vitest.status !== 0 || vitestArgs.length) process.exit(vitest.status ?? 1);
// The same store-level files again on clustered infrastructure (vitest.config.ts CLUSTERED_SUITE).
const clustered = spawnSync(join(root, 'node_modules/.bin/vitest'), ['run', '--reporter=default'], { cwd: root, stdio: 'inherit', env: { ...process.env, SB_TEST_CLUSTERED: '1' } });
console.log(`\n[test] clustered pass (SB_TEST_CLUSTERED=1) ${clustered.status === 0 ? 'ok' : 'failed'}`);
process.exit(clustered.status ?? 1);
