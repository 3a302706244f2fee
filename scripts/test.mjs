#!/usr/bin/env node
// npm test: everything CI checks, in order — infrastructure (install/start if missing), generated
// code freshness, type-checked build and tests, lint, Helm chart lint/render, then all unit and
// integration tests (vitest, against real NATS/Redis/Postgres), then the store-level files again on
// a NATS cluster and a Redis Cluster (SB_TEST_CLUSTERED=1) with the failure tests of test/cluster/.
// Extra args go to vitest (first pass only).
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureInfra } from './lib/infra.mjs';
import { phaseLine, runPhase } from './lib/phases.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const vitestArgs = process.argv.slice(2);
// SB_TEST_CHECKS_ONLY=1: the static checks alone (no infrastructure, no vitest), to measure them.
const checksOnly = process.env.SB_TEST_CHECKS_ONLY === '1';
const t0 = Date.now();
/** @type {import('./lib/phases.mjs').PhaseResult[]} */
const phases = [];
/** Every phase's wall and CPU seconds, in .run/test-phases.json and one line each at the end. */
function writePhases() {
  mkdirSync(join(root, '.run'), { recursive: true });
  const totalS = (Date.now() - t0) / 1000;
  writeFileSync(join(root, '.run/test-phases.json'), `${JSON.stringify({ totalS, phases }, null, 2)}\n`);
  console.log('');
  for (const p of phases) console.log(phaseLine(p));
  console.log(`[test] total wall ${totalS.toFixed(1)} s, cpu ${phases.reduce((sum, p) => sum + (p.cpuS ?? 0), 0).toFixed(1)} s (.run/test-phases.json)`);
}
/** @param {number} code */
function finish(code) {
  writePhases();
  process.exit(code);
}
/** @param {import('./lib/phases.mjs').PhaseResult & { output: string }} r */
const record = ({ output: _output, ...p }) => phases.push(p);

/** One step, output straight to the terminal; exits on failure. */
const step = async (label, cmd, args) => {
  console.log(`\n[test] ${label}`);
  const r = await runPhase(label, cmd, args, { cwd: root, inherit: true, t0 });
  record(r);
  if (!r.ok) {
    console.error(`[test] ${label} failed (exit ${r.exit})`);
    finish(typeof r.exit === 'number' ? r.exit : 1);
  }
  console.log(`[test] ${label} ok (${r.wallS.toFixed(1)} s)`);
};

/** Runs `[label, cmd, args]` steps, `availableParallelism()` at a time; exits on the first failure. */
async function parallelSteps(steps) {
  const queue = [...steps];
  const run = async ([label, cmd, args]) => {
    const r = await runPhase(label, cmd, args, { cwd: root, t0 });
    record(r);
    console.log(`\n[test] ${label}\n${r.output}`);
    if (!r.ok) {
      console.error(`[test] ${label} failed (exit ${r.exit})`);
      finish(typeof r.exit === 'number' ? r.exit : 1);
    }
    console.log(`[test] ${label} ok (${r.wallS.toFixed(1)} s)`);
  };
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) await run(next);
  };
  await Promise.all(Array.from({ length: Math.min(availableParallelism(), steps.length) }, worker));
}

if (!checksOnly) {
  await ensureInfra({ log: (l) => console.log(`[test] ${l}`), timeoutMs: 60_000 }).catch((err) => {
    console.error(`[test] infrastructure is not available: ${err.message}`);
    process.exit(1);
  });
  phases.push({ label: 'infrastructure', ok: true, exit: 0, wallS: (Date.now() - t0) / 1000, cpuS: null, startS: 0 });
}
await step('generated code is current (buf + ts-proto, prisma)', process.execPath, ['scripts/gen.mjs', '--check']);
await step('prisma clients', process.execPath, ['scripts/gen.mjs', '--prisma-only']);
await step('build (tsc -b)', join(root, 'node_modules/.bin/tsc'), ['-b']);
// The checks after the build read only what it wrote and are mostly single-threaded: run them
// side by side (one per core) and print each one's output when it ends.
await parallelSteps([
  ['lint (eslint)', join(root, 'node_modules/.bin/eslint'), ['--max-warnings=0', '.']],
  ['type-check tests (tsconfig.spec.json)', join(root, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.spec.json']],
  ['type-check tooling .mjs (tsconfig.tools.json)', join(root, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.tools.json']],
  ['demo app and admin console (vite build)', 'npm', ['run', '--silent', 'build', '-w', '@switchboard/demo']],
  ['helm chart (lint + render)', process.execPath, ['scripts/helm-check.mjs']],
]);
if (checksOnly) finish(0);
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
