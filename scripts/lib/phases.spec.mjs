// scripts/lib/phases.mjs: the CPU time of a phase's whole process tree, its exit status and its
// output, with real child processes (a grandchild that burns CPU must be counted).
import { describe, expect, it } from 'vitest';
import { cpuFromProcStat, fileCpuLines, phaseLine, runPhase } from './phases.mjs';

const cwd = process.cwd();
// A child that starts a grandchild which spins for ~150 ms of CPU, waits for it, then exits 3.
const SPIN = "const t=process.cpuUsage();while((process.cpuUsage(t).user+process.cpuUsage(t).system)<150000){}";
const TREE = `require('node:child_process').spawnSync(process.execPath,['-e',${JSON.stringify(SPIN)}],{stdio:'inherit'});console.log('done');process.exit(3)`;

describe('phases', () => {
  it('parses utime, stime, cutime and cstime after a command name with spaces and parentheses', () => {
    const stat = '1234 (node (x) y) S 1 2 3 4 5 6 7 8 9 10 150 50 300 100 20 0 1 0 100';
    expect(cpuFromProcStat(stat)).toEqual({ self: 2, children: 4 });
  });

  it.runIf(process.platform === 'linux')("counts the CPU of the command's whole tree and reports its exit status and output", async () => {
    const r = await runPhase('tree', process.execPath, ['-e', TREE], { cwd, t0: Date.now() });
    expect(r.ok).toBe(false);
    expect(r.exit).toBe(3);
    expect(r.output).toBe('done');
    expect(r.cpuS).toBeGreaterThanOrEqual(0.15);
    expect(phaseLine(r)).toMatch(/^\[test\] phase tree .* FAILED \(exit 3\)$/);
  });

  it('lists the costliest test files by CPU (own + children), worst first, with the total', () => {
    const log = [
      { file: '/r/a.spec.ts', wallS: 2, selfCpuS: 1, childCpuS: 0 },
      { file: '/r/b.spec.ts', wallS: 9, selfCpuS: 0.5, childCpuS: 4 },
      { file: '/r/c.spec.ts', wallS: 1, selfCpuS: 2, childCpuS: 0.25 },
    ].map((l) => JSON.stringify(l)).join('\n');
    const lines = fileCpuLines(`${log}\n`, '/r', 2);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe('[test] 3 integration files: 7.8 CPU s in their workers and children (the 2 costliest below)');
    expect(lines[1]).toMatch(/^\[test\] +4\.5 CPU s \(4\.0 in children\) +9\.0 s wall {2}b\.spec\.ts$/);
    expect(lines[2]).toMatch(/ 2\.3 CPU s .* c\.spec\.ts$/);
  });

  it.runIf(process.platform === 'linux')('runs the command at the niceness asked for', async () => {
    const r = await runPhase('nice', process.execPath, ['-e', "process.stdout.write(String(require('node:os').getPriority()))"], { cwd, nice: 7, t0: Date.now() });
    expect(r).toMatchObject({ ok: true, exit: 0, output: '7' });
  });
});
