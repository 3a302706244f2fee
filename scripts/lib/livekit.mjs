// LiveKit (the SFU) for local development and tests: build the server from its Go module once
// per version into <repo>/.cache (gitignored), write its config (dev mode, loopback only, webhook
// to the media service), start it, wait until `GET /` answers 200, stop it.
//
// Plain ESM, node built-ins only (and ./infra.mjs), like the other scripts.

import fs from 'node:fs';
import path from 'node:path';
import { ensureGoBinary, findGo, goBinaryPath } from './go-binary.mjs';
import { freePort, REPO_ROOT } from './infra.mjs';
import { startSidecar } from './sidecar.mjs';

/** Pinned: later commits add `replace` directives, which `go install pkg@version` refuses. */
export const LIVEKIT_VERSION = 'v1.13.5';
export const LIVEKIT_MODULE = 'github.com/livekit/livekit-server/cmd/server';
/** Dev-mode keys (`--dev` without keys in the config): what LiveKit itself prints and uses. */
export const LIVEKIT_DEV_KEYS = Object.freeze({ apiKey: 'devkey', apiSecret: 'secret' });

/** Where the binary of a version lives (`go install` names it after the package folder: `server`). */
export function livekitBinary({ repoRoot = REPO_ROOT, version = LIVEKIT_VERSION } = {}) {
  return goBinaryPath({ repoRoot, name: 'livekit', version, module: LIVEKIT_MODULE });
}

/** How to get a Go toolchain, for the message printed where `go` is missing. */
export const GO_HINT =
  'LiveKit is built from source and needs Go (>= 1.24): install it from your distribution (sudo apt-get install -y golang-go) ' +
  `or from go.dev, then run npm start again; meanwhile SFU verbs answer "unavailable". Manual build: GOTOOLCHAIN=local CGO_ENABLED=0 GOBIN=$PWD/.cache/livekit/${LIVEKIT_VERSION} go install ${LIVEKIT_MODULE}@${LIVEKIT_VERSION}`;

/**
 * Builds LiveKit into .cache/livekit/<version> unless it is there already (see ./go-binary.mjs).
 * @param {{ repoRoot?: string, version?: string, log?: (line: string) => void, timeoutMs?: number, go?: string | null }} [options]
 */
export function ensureLivekit({ repoRoot = REPO_ROOT, version = LIVEKIT_VERSION, log = () => {}, timeoutMs = 15 * 60_000, go = findGo() } = {}) {
  return ensureGoBinary({ repoRoot, name: 'livekit', label: 'LiveKit', module: LIVEKIT_MODULE, version, hint: GO_HINT, log, timeoutMs, go });
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
 * @param {{ binary?: string, port?: number, udpPort?: number, webhookUrl?: string, stunServers?: string[],
 *   emptyTimeoutS?: number, departureTimeoutS?: number, logFile?: string, readyTimeoutMs?: number,
 *   stdio?: import('node:child_process').StdioOptions }} [options]
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
