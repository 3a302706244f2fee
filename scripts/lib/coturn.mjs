// coturn (Debian package `coturn`) as the local STUN/TURN server: TURN REST credentials
// (use-auth-secret, the media service derives per-user credentials from the shared secret),
// loopback only, a small relay port range. See shared recipe "webrtc-on-loopback".
//
// Plain ESM, node built-ins only (and ./infra.mjs).

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkTcp, freePort, which } from './infra.mjs';

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
 */
export async function startCoturn({ binary = turnserverBinary(), port, secret, realm, minPort, maxPort, logFile, readyTimeoutMs = 15_000 } = {}) {
  if (!binary) throw new Error(`coturn is not installed (sudo apt-get install -y ${COTURN_PACKAGE})`);
  if (!secret || secret.length < 16) throw new Error('coturn needs a shared secret of at least 16 characters');
  port ??= await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-coturn-'));
  logFile ??= path.join(dir, 'turnserver.log');
  const fd = fs.openSync(logFile, 'a');
  const child = spawn(binary, coturnArgs({ port, secret, realm, minPort, maxPort, pidFile: path.join(dir, 'turnserver.pid') }), { stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  let exit;
  child.on('exit', (code, signal) => (exit = signal ?? code));
  child.on('error', (err) => (exit = err.message));
  const stop = async () => {
    if (exit === undefined) {
      const done = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const force = setTimeout(() => child.kill('SIGKILL'), 5000);
      await done;
      clearTimeout(force);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + readyTimeoutMs;
  while (!(await checkTcp(port))) {
    if (exit !== undefined || Date.now() > deadline) {
      const log = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').slice(-2000) : '';
      await stop();
      throw new Error(`coturn did not start (${exit !== undefined ? `exited ${exit}` : 'timeout'}): ${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { port, stunUrl: `stun:127.0.0.1:${port}`, turnUrl: `turn:127.0.0.1:${port}?transport=udp`, secret, child, logFile, stop };
}
