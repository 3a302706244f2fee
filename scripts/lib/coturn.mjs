// coturn (Debian package `coturn`) as the local STUN/TURN server: TURN REST credentials
// (use-auth-secret, the media service derives per-user credentials from the shared secret),
// loopback only, a small relay port range. See shared recipe "webrtc-on-loopback".
//
// Plain ESM, node built-ins only (and ./infra.mjs).

import path from 'node:path';
import { checkTcp, freePort, which } from './infra.mjs';
import { startSidecar } from './sidecar.mjs';

export const COTURN_PACKAGE = 'coturn';

/** The turnserver binary, or null when coturn is not installed. */
export const turnserverBinary = () => which('turnserver');

export function coturnArgs({ port, secret, realm = 'switchboard.local', minPort = 49160, maxPort = 49200, pidFile }) {
  return [
    '-n',
    '--listening-ip=127.0.0.1',
    '--relay-ip=127.0.0.1',
    `--listening-port=${port}`,
    `--min-port=${minPort}`,
    `--max-port=${maxPort}`,
    '--use-auth-secret',
    `--static-auth-secret=${secret}`,
    `--realm=${realm}`,
    '--allow-loopback-peers',
    '--no-tls',
    '--no-dtls',
    '--no-cli',
    '--simple-log',
    '--log-file=stdout',
    `--pidfile=${pidFile}`,
  ];
}

/**
 * Starts coturn on 127.0.0.1 (`port` defaults to a free one) and resolves once it listens
 * (TURN over UDP and TCP share the port; TCP is what we can probe without speaking STUN).
 * Returns `{ port, stunUrl, turnUrl, secret, child, stop() }`.
 * @param {{ binary?: string, port?: number, secret?: string, realm?: string, minPort?: number, maxPort?: number,
 *   logFile?: string, readyTimeoutMs?: number }} [options]
 */
export async function startCoturn({ binary = turnserverBinary(), port, secret, realm, minPort, maxPort, logFile, readyTimeoutMs = 15_000 } = {}) {
  if (!binary) throw new Error(`coturn is not installed (sudo apt-get install -y ${COTURN_PACKAGE})`);
  if (!secret || secret.length < 16) throw new Error('coturn needs a shared secret of at least 16 characters');
  port ??= await freePort();
  const { child, logFile: log, stop } = await startSidecar({
    name: 'coturn',
    binary,
    args: (dir) => coturnArgs({ port, secret, realm, minPort, maxPort, pidFile: path.join(dir, 'turnserver.pid') }),
    logFile,
    ready: () => checkTcp(port),
    readyTimeoutMs,
  });
  return { port, stunUrl: `stun:127.0.0.1:${port}`, turnUrl: `turn:127.0.0.1:${port}?transport=udp`, secret, child, logFile: log, stop };
}
