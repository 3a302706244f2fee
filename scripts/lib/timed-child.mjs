#!/usr/bin/env node
// node scripts/lib/timed-child.mjs <out.json> <nice> <cmd> [args...]
// Runs <cmd> at niceness <nice> (inherited by everything it starts), exits with its status, and
// writes {"cpuS": N} to <out.json>: this process's CPU seconds plus those of every process it
// waited for. Node reaps its child, and each process reaps its own, so that is the whole tree
// (Linux /proc; elsewhere no file is written and the phase has wall time only). See phases.mjs.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { cpuFromProcStat } from './phases.mjs';

const [out, nice, cmd, ...args] = process.argv.slice(2);
if (Number(nice) > 0) setPriority(Number(nice)); // before the spawn, so the command inherits it
const r = spawnSync(cmd, args, { stdio: 'inherit' });
if (r.error) console.error(`${cmd}: ${r.error.message}`);
try {
  const { self, children } = cpuFromProcStat(readFileSync('/proc/self/stat', 'utf8'));
  writeFileSync(out, JSON.stringify({ cpuS: Math.round((self + children) * 100) / 100 }));
} catch {
  // no /proc: the caller reports wall time only
}
process.exit(r.status ?? 1);
