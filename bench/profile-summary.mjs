#!/usr/bin/env node
// node bench/profile-summary.mjs <dir> [--top N]
//
// Summarises the V8 CPU profiles a `npm run bench -- --cpu-prof` run wrote (one
// .cpuprofile per Node process, under bench/results/profiles/<run>/<target>/): for each process
// (named from pids.json) the total sampled time and the top frames by self time, with the share
// of the process's samples. Prints Markdown for docs/benchmarks.md.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';

const [dir, ...rest] = process.argv.slice(2);
if (!dir) {
  console.error('usage: node bench/profile-summary.mjs <profile dir> [--top N]');
  process.exit(2);
}
const top = Number(rest[rest.indexOf('--top') + 1]) || 12;
const pids = existsSync(join(dir, 'pids.json')) ? JSON.parse(readFileSync(join(dir, 'pids.json'), 'utf8')) : {};
const nameOf = (target, pid) => Object.entries(pids[target] ?? {}).find(([, p]) => String(p) === pid)?.[0];

/** Self time per frame (function, file:line) in ms from a .cpuprofile (nodes + samples + timeDeltas). */
export function selfTimes(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    total += dt;
    const { functionName, url, lineNumber } = byId.get(id).callFrame;
    const file = url.replace(/^file:\/\//, '').replace(/.*\/node_modules\//, '~/');
    const key = `${functionName || '(anonymous)'} ${file ? `${relative(process.cwd(), file) || file}:${lineNumber + 1}` : ''}`.trim();
    self.set(key, (self.get(key) ?? 0) + dt);
  });
  return { total, frames: [...self.entries()].sort((a, b) => b[1] - a[1]) };
}

for (const target of readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name)) {
  for (const file of readdirSync(join(dir, target)).filter((f) => f.endsWith('.cpuprofile'))) {
    const pid = /CPU\.\d+\.\d+\.(\d+)\./.exec(file)?.[1];
    const name = nameOf(target, pid);
    if (!name) continue; // start.mjs and other helpers
    const { total, frames } = selfTimes(JSON.parse(readFileSync(join(dir, target, file), 'utf8')));
    const busy = total - frames.filter(([k]) => k.startsWith('(idle)')).reduce((s, [, v]) => s + v, 0);
    console.log(`\n#### ${target} · ${name} (pid ${pid}): ${(busy / 1000).toFixed(1)} s busy of ${(total / 1000).toFixed(1)} s sampled\n`);
    console.log('| self ms | % of busy | frame |\n|---:|---:|---|');
    for (const [k, v] of frames.filter(([k]) => !k.startsWith('(idle)')).slice(0, top)) console.log(`| ${v.toFixed(0)} | ${((v / busy) * 100).toFixed(1)} | \`${k}\` |`);
  }
}
