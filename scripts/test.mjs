#!/usr/bin/env node
// npm test: everything CI checks — infrastructure (install/start if missing), generated code
// freshness, the type-checked build, lint, the spec and tooling type-checks, the demo build, the
// Helm chart, then all unit and integration tests (vitest, against real NATS/Redis/Postgres), then
// the store-level files again on a NATS cluster and a Redis Cluster (SB_TEST_CLUSTERED=1) with the
// failure tests of test/cluster/. Extra args go to vitest (first pass only).
//
// Schedule (ADR 0076): the critical path is generation -> tsc -b -> demo build -> vitest. The
// checks nothing else reads (Helm chart, oxlint, spec and tooling type-checks) run beside it at a
// lower priority (nice 10), each one's output printed in one piece when it ends; the run fails if
// any of them fails. Every phase's wall and CPU seconds go to .run/test-phases.json.
import { availableParallelism } from 'node:os';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureInfra } from './lib/infra.mjs';
import { fileCpuLines, phaseLine, runPhase } from './lib/phases.mjs';

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
  for (const p of [...phases].sort((a, b) => a.startS - b.startS)) console.log(phaseLine(p));
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

/** @type {Set<Promise<boolean>>} */
const background = new Set();
let backgroundSlots = availableParallelism();
/** @type {(() => void)[]} */
const waitingForSlot = [];
/**
 * A check nothing later in the run reads: runs beside the critical path at nice 10, at most one
 * per core at a time; its output is printed when it ends. Resolves to whether it passed.
 * @param {string} label
 * @param {string} cmd
 * @param {string[]} args
 * @param {NodeJS.ProcessEnv} [env]
 */
function beside(label, cmd, args, env = process.env) {
  const done = (async () => {
    if (backgroundSlots === 0) await new Promise((resolve) => waitingForSlot.push(() => resolve(undefined)));
    else backgroundSlots -= 1;
    // Alone (SB_TEST_CHECKS_ONLY) there is nothing to give way to.
    const r = await runPhase(label, cmd, args, { cwd: root, nice: checksOnly ? 0 : 10, t0, env });
    const next = waitingForSlot.shift();
    if (next) next();
    else backgroundSlots += 1;
    record(r);
    console.log(`\n[test] ${label}\n${r.output}`);
    if (r.ok) console.log(`[test] ${label} ok (${r.wallS.toFixed(1)} s)`);
    else console.error(`[test] ${label} FAILED (exit ${r.exit}): npm test will fail`);
    return r.ok;
  })();
  background.add(done);
}
/** Waits for the checks running beside; exits 1 if any failed. */
async function awaitBeside() {
  const results = await Promise.all(background);
  if (results.includes(false)) {
    console.error('\n[test] a check failed (see above)');
    finish(1);
  }
}

// Infrastructure (vitest's only) comes up while the checks run.
const infra = checksOnly
  ? Promise.resolve()
  : ensureInfra({ log: (l) => console.log(`[test] ${l}`), timeoutMs: 60_000 }).then(
      () => phases.push({ label: 'infrastructure', ok: true, exit: 0, wallS: (Date.now() - t0) / 1000, cpuS: null, startS: 0 }),
      (err) => {
        console.error(`[test] infrastructure is not available: ${err.message}`);
        finish(1);
      },
    );
// Proto check and Prisma clients (made only when stale) in one step: tsc -b needs the clients.
await step('generated code (proto current, prisma clients)', process.execPath, ['scripts/gen.mjs', '--check']);
// The clustered pass (vitest.config.ts CLUSTERED_SUITE, test/cluster/) runs the store-level files
// again on a NATS cluster and a Redis Cluster, after the checks (beside the build its failover files
// failed 3 of 4 clean-clone runs, ADR 0085), beside the first pass's tail (below). Named files on
// the command line run in the first pass only.
const runClustered = !checksOnly && !vitestArgs.length;
beside('helm chart (lint + render)', process.execPath, ['scripts/helm-check.mjs']);
// TypeScript 7 (the native compiler) builds and checks; 5.9 stays only as the library that
// TypeDoc loads (ADR 0090). Named by path: both packages declare a `tsc` bin.
// Single-threaded, every TypeScript 7 and tsgolint run here (ADR 0102): their parallel checkers
// each bind and check the files they are given again, so on the 2 busy cores of a full run they
// cost half as much CPU again (tsc -b 17-21 CPU s against 10-11) and ended no sooner.
const tsc = join(root, 'node_modules/typescript7/bin/tsc');
// The browser specs serve apps/demo/dist/web: built before vitest starts, beside the build (vite
// resolves the workspace packages from their sources, so it needs no tsc output). Vite's CLI itself
// (what the workspace's `build` script runs), not through npm: npm's start-up and workspace lookup
// cost 0.3-0.7 CPU s of the 7 (ADR 0102).
const demoBuilt = step('demo app and admin console (vite build)', process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', 'apps/demo']);
await step('build (tsc -b)', tsc, ['-b', '--singleThreaded']);
// After the build: these read its .d.ts (project references) or, for oxlint's type-aware rules,
// the types of the dist/ files some tooling imports. One linter for every rule: oxlint, the
// type-aware ones by tsgolint on TypeScript 7 (ADRs 0091, 0097); GOMAXPROCS=1 is tsgolint's
// (Go's) --singleThreaded (ADR 0102).
beside('lint (oxlint)', join(root, 'node_modules/.bin/oxlint'), ['--type-aware', '--deny-warnings', '.'], { ...process.env, GOMAXPROCS: '1' });
// The spec and tooling type-checks in one process (ADR 0102): `tsc -b` with both as root projects
// reads lib.d.ts and the references' .d.ts once for the two, and still checks each with its own
// options (tools: checkJs, not strict); either one's error fails it.
beside('type-check tests and tooling (tsconfig.spec.json, tsconfig.tools.json)', tsc, ['-b', '--singleThreaded', 'tsconfig.spec.json', 'tsconfig.tools.json']);
await demoBuilt;
if (checksOnly) {
  await awaitBeside();
  finish(0);
}
await infra;
// The JSON report gives CI a plain closing line ("N passed, N failed") whatever happens.
mkdirSync(join(root, '.run'), { recursive: true });
const report = join(root, '.run/vitest-report.json');
// test/cluster/ (the failure tests on private clusters) runs in the clustered pass (below);
// named on the command line, it runs here.
// Each integration file's CPU seconds (worker + children) go to .run/file-cpu*.jsonl (per-file.ts);
// the costliest are printed after each pass (ADR 0085).
const cpuLog = (/** @type {string} */ name) => {
  const path = join(root, '.run', name);
  rmSync(path, { force: true });
  return path;
};
/** @param {string} path */
const printFileCpu = (path) => existsSync(path) && console.log(`\n${fileCpuLines(readFileSync(path, 'utf8'), root, 12).join('\n')}`);
const firstCpuLog = cpuLog('file-cpu.jsonl');
const firstPassEnv = { ...process.env, SB_TEST_CPU_LOG: firstCpuLog, ...(vitestArgs.length ? {} : { SB_TEST_SKIP_CLUSTER_FILES: '1' }) };
const firstPass = runPhase('vitest', join(root, 'node_modules/.bin/vitest'), ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...vitestArgs], { cwd: root, inherit: true, env: firstPassEnv, t0 });
// The clustered pass starts once the checks beside the first pass are done, and runs beside the
// first pass's tail (its failover files mostly wait on timers and outages: ~1 core for ~45 s alone).
// Beside the checks and the build its failover files flaked (ADR 0085); SB_TEST_CLUSTERED_AFTER=first
// runs it after the first pass instead. Its output is printed in one piece when it ends.
const clusteredAfterFirst = process.env.SB_TEST_CLUSTERED_AFTER === 'first';
const clusteredCpuLog = cpuLog('file-cpu-clustered.jsonl');
const runClusteredPass = () =>
  runPhase('vitest clustered pass', join(root, 'node_modules/.bin/vitest'), ['run', '--reporter=default'], {
    cwd: root,
    inherit: clusteredAfterFirst,
    env: { ...process.env, SB_TEST_CLUSTERED: '1', SB_TEST_CPU_LOG: clusteredCpuLog },
    t0,
  });
// Not awaitBeside(): a failed check must not exit while the first pass runs (it would orphan it).
const checksOk = !(await Promise.all(background)).includes(false);
const clusteredPass = checksOk && runClustered && !clusteredAfterFirst ? (console.log('\n[test] vitest clustered pass (SB_TEST_CLUSTERED=1) started beside the first pass'), runClusteredPass()) : undefined;
const vitest = await firstPass;
record(vitest);
if (existsSync(report)) {
  const r = JSON.parse(readFileSync(report, 'utf8'));
  console.log(`\n${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
}
printFileCpu(firstCpuLog);
await awaitBeside();
if (!runClustered) finish(vitest.ok ? 0 : typeof vitest.exit === 'number' ? vitest.exit : 1);
if (clusteredAfterFirst) console.log('\n[test] vitest clustered pass (SB_TEST_CLUSTERED=1)');
const clustered = await (clusteredPass ?? runClusteredPass());
record(clustered);
if (clustered.output) console.log(`\n[test] vitest clustered pass (SB_TEST_CLUSTERED=1)\n${clustered.output}`);
printFileCpu(clusteredCpuLog);
console.log(`\n[test] clustered pass (SB_TEST_CLUSTERED=1) ${clustered.ok ? 'ok' : 'failed'}`);
if (!vitest.ok) finish(typeof vitest.exit === 'number' ? vitest.exit : 1);
finish(clustered.ok ? 0 : typeof clustered.exit === 'number' ? clustered.exit : 1);
