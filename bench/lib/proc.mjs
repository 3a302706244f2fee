// CPU and memory of processes from /proc (Linux), without dependencies.
import { readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';

let clkTck = 100;
try {
  clkTck = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
} catch {}

/**
 * CPU time of a process in seconds, or NaN when it is gone: the sum of its threads' run time
 * from /proc/<pid>/task/<tid>/schedstat (nanoseconds), or utime+stime from /proc/<pid>/stat
 * (clock ticks, 10 ms) where schedstat is missing. A fixed-load window of a few seconds costs a
 * server a few ticks, so tick resolution would round CPU per event to nothing.
 */
export function cpuSeconds(pid) {
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      } catch {} // a thread that ended between readdir and read
    }
    if (ns > 0) return ns / 1e9;
  } catch {}
  return statCpuSeconds(pid);
}

/** When a process started, in clock ticks since boot (field 22 of /proc/<pid>/stat), or NaN when it is gone. */
export function startTicks(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
  } catch {
    return NaN;
  }
}

/**
 * Clock ticks since boot now, comparable with startTicks(): this process's own start tick plus
 * its age. /proc/uptime is not used: on CI's VM it ran on a different clock than the start
 * ticks in /proc/<pid>/stat, so a process spawned after a window's start read as older than it.
 */
export function uptimeTicks() {
  return startTicks(process.pid) + process.uptime() * clkTck;
}

/** utime+stime of a process (all threads, also those that ended) in seconds, or NaN when it is gone. */
export function statCpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clkTck; // fields 14 and 15 of stat(5)
  } catch {
    return NaN;
  }
}

/** Resident set size in bytes, or NaN when the process is gone. */
export function rssBytes(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

export function environOf(pid) {
  try {
    return Object.fromEntries(
      readFileSync(`/proc/${pid}/environ`, 'utf8')
        .split('\0')
        .filter(Boolean)
        .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
    );
  } catch {
    return {};
  }
}

export function cmdlineOf(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

/** Direct children of a process (all its threads' children files). */
export function childrenOf(pid) {
  const out = new Set();
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        for (const c of readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/)) if (c) out.add(Number(c));
      } catch {}
    }
  } catch {}
  return [...out];
}

/**
 * Samples CPU and peak RSS of named groups of pids between start() and stop().
 * groups: { name: [pid, …] }. Result per group: cpuPct (100 = one core), peakRss, endRss.
 */
export class ProcSampler {
  /** @param {Record<string, number[]>} groups @param {number} [everyMs] */
  constructor(groups, everyMs = 250) {
    // Copied: pids added during a window (addPid) must not leak into the caller's groups.
    this.groups = Object.fromEntries(Object.entries(groups).map(([g, pids]) => [g, [...pids]]));
    this.everyMs = everyMs;
    /** @type {Map<number, number>} last CPU seconds read per pid */
    this.last = new Map();
  }

  start() {
    this.t0 = performance.now();
    this.startedAt = uptimeTicks();
    this.cpu0 = this.#cpu();
    this.peak = Object.fromEntries(Object.keys(this.groups).map((g) => [g, 0]));
    this.startRss = this.#rss();
    this.#sample();
    this.timer = setInterval(() => this.#sample(), this.everyMs);
    this.timer.unref();
    return this;
  }

  /** CPU seconds per group; a process that died keeps its last sampled value. */
  #cpu() {
    const read = (p) => {
      const v = cpuSeconds(p);
      if (Number.isFinite(v)) this.last.set(p, v);
      return this.last.get(p) ?? 0;
    };
    return Object.fromEntries(Object.entries(this.groups).map(([g, pids]) => [g, pids.reduce((s, p) => s + read(p), 0)]));
  }

  /**
   * Counts a process that appeared during the window (a Postgres backend a pool opened) in the
   * named groups: all of its CPU if it started after the window did, else only from now on.
   * @param {string[]} groupNames @param {number} pid
   */
  addPid(groupNames, pid) {
    const started = startTicks(pid);
    if (!Number.isFinite(started)) return;
    const before = started >= this.startedAt ? 0 : cpuSeconds(pid);
    if (Number.isFinite(before)) this.last.set(pid, before);
    for (const g of groupNames) {
      if (!this.groups[g] || this.groups[g].includes(pid)) continue;
      this.groups[g].push(pid);
      this.cpu0[g] += this.last.get(pid) ?? 0;
    }
  }

  #rss() {
    return Object.fromEntries(Object.entries(this.groups).map(([g, pids]) => [g, pids.reduce((s, p) => s + (rssBytes(p) || 0), 0)]));
  }

  #sample() {
    this.#cpu();
    const rss = this.#rss();
    for (const g of Object.keys(rss)) this.peak[g] = Math.max(this.peak[g], rss[g]);
  }

  stop() {
    clearInterval(this.timer);
    this.#sample();
    const secs = (performance.now() - this.t0) / 1000;
    const cpu1 = this.#cpu();
    const end = this.#rss();
    return Object.fromEntries(
      Object.keys(this.groups).map((g) => [g, { cpuSeconds: cpu1[g] - this.cpu0[g], cpuPct: secs > 0 ? ((cpu1[g] - this.cpu0[g]) / secs) * 100 : NaN, peakRss: this.peak[g], endRss: end[g], startRss: this.startRss[g], seconds: secs }]),
    );
  }
}

/** CPU% of this process between two calls of the returned function (100 = one core). */
export function selfCpuMeter() {
  let u0 = process.cpuUsage();
  let t0 = performance.now();
  return {
    reset() {
      u0 = process.cpuUsage();
      t0 = performance.now();
    },
    read() {
      const u = process.cpuUsage(u0);
      const ms = performance.now() - t0;
      return ms > 0 ? ((u.user + u.system) / 1000 / ms) * 100 : NaN;
    },
  };
}

export function machineDescription() {
  let model = 'unknown CPU';
  try {
    model = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? model;
  } catch {}
  let kernel = os.release();
  try {
    kernel = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
  } catch {}
  return {
    cpu: model,
    cores: os.availableParallelism?.() ?? os.cpus().length,
    memGiB: os.totalmem() / 2 ** 30,
    node: process.version,
    kernel,
    os: `${os.type()} ${os.arch()}`,
    load: os.loadavg().map((l) => l.toFixed(2)).join(' '),
  };
}

/** The open-file limit of this process: { soft, hard } (NaN when /proc is unreadable). */
export function fdLimit(pid = 'self') {
  try {
    const m = /Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'));
    const n = (v) => (v === 'unlimited' ? Infinity : Number(v));
    return m ? { soft: n(m[1]), hard: n(m[2]) } : { soft: NaN, hard: NaN };
  } catch {
    return { soft: NaN, hard: NaN };
  }
}

/**
 * Raises this process's RLIMIT_NOFILE to `wanted` (Node has no setrlimit, so util-linux
 * `prlimit --pid` does it); every process the benchmark spawns afterwards inherits it, so the
 * idle scenario measures the server and not the limit. Raising the hard limit needs root or
 * CAP_SYS_RESOURCE; without it the soft limit goes up to the hard one. Returns what was set.
 */
export function raiseFdLimit(wanted) {
  const { hard } = fdLimit();
  for (const [soft, hi] of [[wanted, wanted], [Math.min(wanted, hard), hard]]) {
    if (!Number.isFinite(soft) || soft <= 0) continue;
    try {
      execFileSync('prlimit', ['--pid', String(process.pid), `--nofile=${soft}:${Number.isFinite(hi) ? hi : 'unlimited'}`], { stdio: 'ignore' });
      break;
    } catch {}
  }
  return fdLimit();
}
