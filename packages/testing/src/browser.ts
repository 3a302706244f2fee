import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// @ts-expect-error plain ESM script without types
import { postgresSocketBridge } from '../../../scripts/lib/infra.mjs';
import { ROOT } from './infra.js';
import type { LooseJson } from './json.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Installs a Debian package when its binary is missing (root only), outside the isolated namespace. */
export function ensurePackage(binary: string, pkg: string): void {
  if (existsSync(binary)) return;
  if (process.getuid?.() !== 0) throw new Error(`${binary} is missing: run sudo apt-get install -y ${pkg}`);
  for (const args of [['update', '-qq'], ['install', '-y', '-qq', pkg]]) {
    const r = spawnSync('apt-get', args, { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, timeout: 600_000 });
    if (r.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed`);
  }
}

/**
 * Runs a test/browser script in a fresh network namespace with only `lo` up (`unshare --net`),
 * so no ICE candidate can point anywhere but loopback. Postgres stays outside; the namespace
 * reaches it through a socket file that forwards to it. Resolves with the script's exit code and
 * the JSON object it printed last.
 */
export async function runInNamespace(script: string, args: string[] = [], env: Record<string, string> = {}): Promise<{ code: number | null; result: Record<string, LooseJson> }> {
  ensurePackage(CHROMIUM, 'chromium');
  ensurePackage('/usr/sbin/ip', 'iproute2');
  const socketDir = mkdtempSync(join(tmpdir(), 'sb-pg-bridge-'));
  const bridge = await postgresSocketBridge(socketDir);
  const childEnv = { ...process.env, ...env, PG_SOCKET_DIR: bridge.socketDir, PG_SERVER_URL: bridge.serverUrl };
  const child = spawn('unshare', ['--net', 'bash', '-c', `ip link set lo up && exec "${process.execPath}" ${script} ${args.join(' ')}`], { cwd: ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err = (err + d).slice(-5000)));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  await bridge.close();
  rmSync(socketDir, { recursive: true, force: true });
  const last = out.trim().split('\n').pop() ?? '';
  try {
    return { code, result: JSON.parse(last) as Record<string, LooseJson> };
  } catch {
    throw new Error(`browser test printed no result (exit ${code}):\n${out}\n${err}`);
  }
}
