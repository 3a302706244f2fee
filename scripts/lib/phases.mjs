// Phase timing for scripts/test.mjs (issue 12, ADR 0076): every step runs through
// scripts/lib/timed-child.mjs, which waits for its command and then reads its own CPU time plus
// that of every process it waited for (the command and all its descendants that were reaped),
// so each phase reports wall and CPU seconds even when phases run side by side.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const TIMED_CHILD = join(dirname(fileURLToPath(import.meta.url)), 'timed-child.mjs');
/** Linux's USER_HZ: the unit of the times in /proc/<pid>/stat (100 on every mainstream kernel). */
const CLOCK_TICKS = 100;

/**
 * CPU seconds of a process and of its reaped descendants, from the text of /proc/<pid>/stat
 * (fields 14-17: utime, stime, cutime, cstime; the command name before them may hold spaces).
 * @param {string} stat
 * @returns {{ self: number, children: number }}
 */
export function cpuFromProcStat(stat) {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const at = (/** @type {number} */ field) => Number(fields[field - 3]) / CLOCK_TICKS;
  return { self: at(14) + at(15), children: at(16) + at(17) };
}

/**
 * @typedef {{ label: string, ok: boolean, exit: number | string | null, wallS: number, cpuS: number | null, startS: number }} PhaseResult
 * @typedef {{ env?: NodeJS.ProcessEnv, inherit?: boolean, nice?: number, cwd: string, t0: number }} PhaseOptions
 */

/**
 * Runs one phase: `cmd args` under timed-child.mjs, optionally at a lower priority (`nice`, which
 * the command and its children inherit). With `inherit` its output goes straight to the terminal;
 * otherwise it is collected and returned, to be printed in one piece when the phase ends.
 * @param {string} label
 * @param {string} cmd
 * @param {string[]} args
 * @param {PhaseOptions} options
 * @returns {Promise<PhaseResult & { output: string }>}
 */
export function runPhase(label, cmd, args, { env = process.env, inherit = false, nice = 0, cwd, t0 }) {
  const dir = mkdtempSync(join(tmpdir(), 'sb-phase-'));
  const out = join(dir, 'cpu.json');
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [TIMED_CHILD, out, String(nice), cmd, ...args], {
      cwd,
      env: inherit ? env : { ...env, FORCE_COLOR: '0' },
      stdio: inherit ? 'inherit' : ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (d) => (output += d));
    child.stderr?.on('data', (d) => (output += d));
    child.on('error', (err) => (output += `\n${err.message}`));
    child.on('close', (code, signal) => {
      let cpuS = null;
      try {
        cpuS = JSON.parse(readFileSync(out, 'utf8')).cpuS;
      } catch {
        // not Linux (no /proc), or the wrapper was killed: wall time only
      }
      rmSync(dir, { recursive: true, force: true });
      const wallS = (Date.now() - started) / 1000;
      resolve({ label, ok: code === 0, exit: code ?? signal, wallS, cpuS, startS: (started - t0) / 1000, output: output.trimEnd() });
    });
  });
}

/**
 * One line per phase: `[test] phase <label>  wall 12.3 s  cpu 20.1 s  (from +4.0 s) ok`.
 * @param {PhaseResult} p
 */
export function phaseLine(p) {
  const cpu = p.cpuS === null ? 'cpu ?' : `cpu ${p.cpuS.toFixed(1)} s`;
  return `[test] phase ${p.label.padEnd(34)} wall ${p.wallS.toFixed(1).padStart(6)} s  ${cpu.padStart(11)}  (from +${p.startS.toFixed(1)} s) ${p.ok ? 'ok' : `FAILED (exit ${p.exit})`}`;
}

/**
 * @typedef {{ file: string, wallS: number, selfCpuS: number, childCpuS: number }} FileCpu
 */

/**
 * The test files that cost most CPU, from the JSON lines SB_TEST_CPU_LOG collects (one per
 * integration file, packages/testing/src/per-file.ts): a total line, then the `top` files, worst
 * first, with their own and their children's CPU seconds (issue 12, ADR 0085).
 * @param {string} jsonLines
 * @param {string} root  stripped from the file paths
 * @param {number} top
 * @returns {string[]}
 */
export function fileCpuLines(jsonLines, root, top) {
  /** @type {FileCpu[]} */
  const files = jsonLines
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
  const cpu = (/** @type {FileCpu} */ f) => f.selfCpuS + f.childCpuS;
  files.sort((a, b) => cpu(b) - cpu(a));
  const total = files.reduce((sum, f) => sum + cpu(f), 0);
  const rel = (/** @type {string} */ f) => (f.startsWith(`${root}/`) ? f.slice(root.length + 1) : f);
  return [
    `[test] ${files.length} integration files: ${total.toFixed(1)} CPU s in their workers and children (the ${Math.min(top, files.length)} costliest below)`,
    ...files.slice(0, top).map((f) => `[test]   ${cpu(f).toFixed(1).padStart(6)} CPU s (${f.childCpuS.toFixed(1)} in children)  ${f.wallS.toFixed(1).padStart(6)} s wall  ${rel(f.file)}`),
  ];
}
