/* global AbortSignal */
// LiveKit (the SFU) for local development and tests: build the server from its Go module once
// per version into <repo>/.cache (gitignored), write its config (dev mode, loopback only, webhook
// to the media service), start it, wait until `GET /` answers 200, stop it.
//
// Plain ESM, node built-ins only (and ./infra.mjs), like the other scripts.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freePort, REPO_ROOT, which } from './infra.mjs';
import { startSidecar } from './sidecar.mjs';

/** Pinned: later commits add `replace` directives, which `go install pkg@version` refuses. */
export const LIVEKIT_VERSION = 'v1.13.5';
export const LIVEKIT_MODULE = 'github.com/livekit/livekit-server/cmd/server';
/** Dev-mode keys (`--dev` without keys in the config): what LiveKit itself prints and uses. */
export const LIVEKIT_DEV_KEYS = Object.freeze({ apiKey: 'devkey', apiSecret: 'secret' });

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Where the binary of a version lives (`go install` names it after the package folder: `server`). */
export function livekitBinary({ repoRoot = REPO_ROOT, version = LIVEKIT_VERSION } = {}) {
  return path.join(repoRoot, '.cache', 'livekit', version, 'server');
}

/** How to get a Go toolchain, for the message printed where `go` is missing. */
export const GO_HINT =
  'LiveKit is built from source and needs Go (>= 1.24): install it from your distribution (sudo apt-get install -y golang-go) ' +
  `or from go.dev, then run npm start again; meanwhile SFU verbs answer "unavailable". Manual build: GOTOOLCHAIN=local CGO_ENABLED=0 GOBIN=$PWD/.cache/livekit/${LIVEKIT_VERSION} go install ${LIVEKIT_MODULE}@${LIVEKIT_VERSION}`;

/**
 * Builds LiveKit into .cache/livekit/<version> unless it is there already. Resolves to
 * `{ ok: true, binary, cached }` or `{ ok: false, reason }` (no Go, or the build failed: reason
 * carries the last lines of go's output). Progress (packages compiled) goes to `log`.
 * Concurrent callers (parallel test runs) serialise on a lock file and share the result.
 */
export async function ensureLivekit({ repoRoot = REPO_ROOT, version = LIVEKIT_VERSION, log = () => {}, timeoutMs = 15 * 60_000, go = findGo() } = {}) {
  const binary = livekitBinary({ repoRoot, version });
  if (isExecutable(binary)) return { ok: true, binary, cached: true };
  if (!go) return { ok: false, reason: `go is not installed. ${GO_HINT}` };
  const dir = path.dirname(binary);
  fs.mkdirSync(dir, { recursive: true });
  const lock = await acquireLock(path.join(dir, '.build.lock'), timeoutMs);
  try {
    if (isExecutable(binary)) return { ok: true, binary, cached: true };
    log(`building LiveKit ${version} with ${go} (once; cached in ${path.relative(repoRoot, dir)})`);
    const started = Date.now();
    const result = await runGoInstall(go, dir, version, log, timeoutMs);
    if (!result.ok) return { ok: false, reason: `go install ${LIVEKIT_MODULE}@${version} failed: ${result.detail}` };
    if (!isExecutable(binary)) return { ok: false, reason: `go install succeeded but ${binary} is missing` };
    log(`LiveKit ${version} built in ${Math.round((Date.now() - started) / 1000)} s`);
    return { ok: true, binary, cached: false };
  } finally {
    lock.release();
  }
}

/** The go binary on PATH, or where the official tarball installs it; null when there is none. */
export function findGo() {
  return which('go') ?? (isExecutable('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : null);
}

function runGoInstall(go, gobin, version, log, timeoutMs) {
  return new Promise((resolve) => {
    const env = { ...process.env, GOTOOLCHAIN: 'local', CGO_ENABLED: '0', GOBIN: gobin, GOFLAGS: '' };
    // -v prints each package as it is compiled: our progress count.
    const child = spawn(go, ['install', '-v', `${LIVEKIT_MODULE}@${version}`], { env, stdio: ['ignore', 'pipe', 'pipe'] });
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
        log(`  LiveKit build: ${downloads} modules downloaded, ${packages} packages compiled…`);
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
      else if (Date.now() > deadline) throw new Error(`LiveKit build lock ${file} held by pid ${holder}`);
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

function isExecutable(p) {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/**
 * LiveKit's YAML config: loopback only (no external IP discovery, loopback ICE candidates, one
 * UDP port for media, no TCP fallback), a webhook to the media service, short room timeouts.
 */
export function livekitConfig({ port, udpPort, webhookUrl, stunServers = [], emptyTimeoutS = 10, departureTimeoutS = 5, apiKey = LIVEKIT_DEV_KEYS.apiKey, logLevel = 'info' }) {
  const lines = [
    `port: ${port}`,
    'bind_addresses: ["127.0.0.1"]',
    'rtc:',
    `  udp_port: ${udpPort}`,
    '  tcp_port: 0',
    '  use_external_ip: false',
    '  enable_loopback_candidate: true',
    '  ips:',
    '    includes: ["127.0.0.1/32"]',
    `  stun_servers: [${stunServers.map((s) => JSON.stringify(s)).join(', ')}]`,
    'room:',
    `  empty_timeout: ${emptyTimeoutS}`,
    `  departure_timeout: ${departureTimeoutS}`,
    'logging:',
    `  level: ${logLevel}`,
    '  json: true',
  ];
  if (webhookUrl) lines.push('webhook:', `  api_key: ${apiKey}`, '  urls:', `    - ${JSON.stringify(webhookUrl)}`);
  return `${lines.join('\n')}\n`;
}

/** Resolves true once LiveKit answers `GET /` with 200 (its readiness check). */
export async function livekitReady(httpUrl, timeoutMs = 1000) {
  try {
    const res = await fetch(httpUrl, { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

/**
 * Starts a built LiveKit in dev mode on loopback and waits until it is ready. `port` (HTTP/WS)
 * and `udpPort` default to free ports. Resolves to `{ url (ws://), httpUrl, apiKey, apiSecret,
 * port, udpPort, child, logFile, stop() }`.
 */
export async function startLivekit({ binary = livekitBinary(), port, udpPort, webhookUrl, stunServers, emptyTimeoutS, departureTimeoutS, logFile, readyTimeoutMs = 30_000, stdio } = {}) {
  port ??= await freePort();
  udpPort ??= await freePort();
  const httpUrl = `http://127.0.0.1:${port}`;
  const { child, logFile: log, stop } = await startSidecar({
    name: 'LiveKit',
    binary,
    args: (dir) => {
      const configFile = path.join(dir, 'livekit.yaml');
      fs.writeFileSync(configFile, livekitConfig({ port, udpPort, webhookUrl, stunServers, emptyTimeoutS, departureTimeoutS }));
      return ['--dev', '--bind', '127.0.0.1', '--node-ip', '127.0.0.1', '--config', configFile];
    },
    logFile,
    stdio,
    ready: () => livekitReady(httpUrl),
    readyTimeoutMs,
    logTailChars: 3000,
  });
  return { url: `ws://127.0.0.1:${port}`, httpUrl, ...LIVEKIT_DEV_KEYS, port, udpPort, child, logFile: log, stop };
}
