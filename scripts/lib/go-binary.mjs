// Reference servers written in Go (LiveKit, Centrifugo) are built from their modules once per
// pinned version into <repo>/.cache/<name>/<version> (gitignored) with `go install`, never
// committed. Concurrent callers (parallel test runs) serialise on a lock file and share the
// result. Plain ESM, node built-ins only (and ./infra.mjs), like the other scripts.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { which } from './infra.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The go binary on PATH, or where the official tarball installs it; null when there is none. */
export function findGo() {
  return which('go') ?? (isExecutable('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : null);
}

/** Where `go install <module>@<version>` puts its binary (named after the package folder). */
export function goBinaryPath({ repoRoot, name, version, module }) {
  return path.join(repoRoot, '.cache', name, version, path.basename(module.replace(/\/v\d+$/, '')));
}

/**
 * Builds `module@version` into .cache/<name>/<version> unless it is there already. Resolves to
 * `{ ok: true, binary, cached }` or `{ ok: false, reason }` (no Go — `hint` says how to get it —
 * or the build failed: reason carries the last lines of go's output). Progress goes to `log`.
 * @param {{ repoRoot: string, name: string, label?: string, module: string, version: string, hint?: string,
 *   log?: (line: string) => void, timeoutMs?: number, go?: string | undefined }} options
 */
export async function ensureGoBinary({ repoRoot, name, label = name, module, version, hint = '', log = () => {}, timeoutMs = 15 * 60_000, go = findGo() }) {
  const binary = goBinaryPath({ repoRoot, name, version, module });
  if (isExecutable(binary)) return { ok: true, binary, cached: true };
  if (!go) return { ok: false, reason: `go is not installed. ${hint}`.trim() };
  const dir = path.dirname(binary);
  fs.mkdirSync(dir, { recursive: true });
  const lock = await acquireLock(path.join(dir, '.build.lock'), timeoutMs);
  try {
    if (isExecutable(binary)) return { ok: true, binary, cached: true };
    log(`building ${label} ${version} with ${go} (once; cached in ${path.relative(repoRoot, dir)})`);
    const started = Date.now();
    const result = await runGoInstall({ go, gobin: dir, target: `${module}@${version}`, label, log, timeoutMs });
    if (!result.ok) return { ok: false, reason: `go install ${module}@${version} failed: ${result.detail}` };
    if (!isExecutable(binary)) return { ok: false, reason: `go install succeeded but ${binary} is missing` };
    log(`${label} ${version} built in ${Math.round((Date.now() - started) / 1000)} s`);
    return { ok: true, binary, cached: false };
  } finally {
    lock.release();
  }
}

function runGoInstall({ go, gobin, target, label, log, timeoutMs }) {
  return new Promise((resolve) => {
    const env = { ...process.env, GOTOOLCHAIN: 'local', CGO_ENABLED: '0', GOBIN: gobin, GOFLAGS: '' };
    // -v prints each package as it is compiled: our progress count.
    const child = spawn(go, ['install', '-v', target], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    let packages = 0;
    let downloads = 0;
    let lastReport = Date.now();
    const onData = (d) => {
      const text = String(d);
      tail = (tail + text).slice(-4000);
      for (const line of text.split('\n')) {
        if (line.startsWith('go: downloading')) downloads++;
        else if (line.trim() && !line.startsWith('go:')) packages++;
      }
      if (Date.now() - lastReport > 5000) {
        lastReport = Date.now();
        log(`  ${label} build: ${downloads} modules downloaded, ${packages} packages compiled…`);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => resolve({ ok: false, detail: err.message }));
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve({ ok: true });
      else resolve({ ok: false, detail: `exit ${signal ?? code}: ${tail.trim().split('\n').slice(-8).join(' | ')}` });
    });
  });
}

/** An exclusive lock file (O_EXCL) held while building; a stale lock (dead pid) is taken over. */
async function acquireLock(file, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      return { release: () => fs.rmSync(file, { force: true }) };
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      const holder = Number(fs.readFileSync(file, 'utf8'));
      if (!holder || !alive(holder)) fs.rmSync(file, { force: true });
      else if (Date.now() > deadline) throw new Error(`build lock ${file} held by pid ${holder}`);
      else await sleep(500);
    }
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

export function isExecutable(p) {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}
