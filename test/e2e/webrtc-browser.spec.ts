import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM script without types
import { postgresSocketBridge } from '../../scripts/lib/infra.mjs';
import { ROOT } from '../support/infra.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Installs a Debian package when its binary is missing (root only), outside the isolated namespace. */
function ensurePackage(binary: string, pkg: string): void {
  if (existsSync(binary)) return;
  if (process.getuid?.() !== 0) throw new Error(`${binary} is missing: run sudo apt-get install -y ${pkg}`);
  for (const args of [['update', '-qq'], ['install', '-y', '-qq', pkg]]) {
    const r = spawnSync('apt-get', args, { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, timeout: 600_000 });
    if (r.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed`);
  }
}

/**
 * The WebRTC path for real: two headless Chromium pages on different gateway replicas call each
 * other, signaling through Switchboard. Everything runs in a fresh network namespace with only
 * `lo` up, so no ICE candidate can point anywhere but loopback.
 */
describe('WebRTC call between two browsers through two gateway replicas', () => {
  async function runCall(...args: string[]): Promise<{ code: number | null; result: Record<string, any> }> {
    ensurePackage(CHROMIUM, 'chromium');
    ensurePackage('/usr/sbin/ip', 'iproute2');
    // Postgres stays outside; the namespace reaches it through a socket file that forwards to it.
    const socketDir = mkdtempSync(join(tmpdir(), 'sb-pg-bridge-'));
    const bridge = await postgresSocketBridge(socketDir);
    const env = { ...process.env, PG_SOCKET_DIR: bridge.socketDir, PG_SERVER_URL: bridge.serverUrl };
    const child = spawn('unshare', ['--net', 'bash', '-c', `ip link set lo up && exec "${process.execPath}" test/browser/webrtc-room-call.mjs ${args.join(' ')}`], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err = (err + d).slice(-5000)));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    await bridge.close();
    rmSync(socketDir, { recursive: true, force: true });
    const last = out.trim().split('\n').pop() ?? '';
    let result: Record<string, any>;
    try {
      result = JSON.parse(last);
    } catch {
      throw new Error(`browser test printed no result (exit ${code}):\n${out}\n${err}`);
    }
    return { code, result };
  }

  it('reaches connectionState connected with video bytes flowing both ways', async () => {
    const { code, result } = await runCall();
    expect(result, result.error).toMatchObject({ ok: true, connectionState: ['connected', 'connected'], replicas: ['gw1', 'gw2'] });
    expect(result.inboundBytes[0]).toBeGreaterThan(0);
    expect(result.inboundBytes[1]).toBeGreaterThan(0);
    expect(result.signalKindsReceivedByCallee).toEqual(expect.arrayContaining(['offer', 'ice']));
    for (const address of result.localCandidateAddresses) expect(address).toMatch(/^(127\.|::1$)/);
    expect(result.localCandidateTypes).toContain('host');
    expect(code).toBe(0);
  }, 180_000);

  it('connects through coturn with only the TURN credentials the media service put into hello', async () => {
    ensurePackage('/usr/bin/turnserver', 'coturn');
    const { code, result } = await runCall('--relay');
    expect(result, result.error).toMatchObject({ ok: true, connectionState: ['connected', 'connected'], turnServersInHello: 1 });
    expect(result.localCandidateTypes).toEqual(['relay']);
    expect(result.inboundBytes[0]).toBeGreaterThan(0);
    expect(result.inboundBytes[1]).toBeGreaterThan(0);
    expect(code).toBe(0);
  }, 180_000);
});
