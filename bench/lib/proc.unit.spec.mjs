// @ts-check
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ProcSampler, cpuSeconds } from './proc.mjs';

/** A child that burns CPU until killed; resolves once it is running. */
async function busyChild() {
  const child = spawn(process.execPath, ['-e', 'process.send?.("up"); for (;;) {}'], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
  await new Promise((resolve) => child.once('message', resolve));
  return child;
}

describe('ProcSampler', () => {
  it('counts a process that appeared during the window with all of its CPU, without touching the caller’s groups', async () => {
    const groups = { servers: [process.pid], 'proc:postgres': [] };
    const sampler = new ProcSampler(groups, 50).start();
    const child = await busyChild();
    try {
      await expect.poll(() => cpuSeconds(/** @type {number} */ (child.pid)), { timeout: 10_000 }).toBeGreaterThan(0.05);
      sampler.addPid(['servers', 'proc:postgres', 'no-such-group'], /** @type {number} */ (child.pid));
      sampler.addPid(['servers'], /** @type {number} */ (child.pid)); // a second sighting is not counted twice
      const childCpu = cpuSeconds(/** @type {number} */ (child.pid));
      const result = sampler.stop();
      // The child started after the window: its CPU from its first instruction is the window's.
      expect(result['proc:postgres'].cpuSeconds).toBeGreaterThanOrEqual(childCpu);
      expect(result.servers.cpuSeconds).toBeGreaterThanOrEqual(childCpu);
      expect(result.servers.cpuSeconds).toBeLessThan(result['proc:postgres'].cpuSeconds + 5);
      expect(groups).toEqual({ servers: [process.pid], 'proc:postgres': [] });
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('counts a process that was already running only from the moment it is added', async () => {
    const child = await busyChild();
    try {
      await expect.poll(() => cpuSeconds(/** @type {number} */ (child.pid)), { timeout: 10_000 }).toBeGreaterThan(0.2);
      const sampler = new ProcSampler({ servers: [] }, 50).start();
      const before = cpuSeconds(/** @type {number} */ (child.pid));
      sampler.addPid(['servers'], /** @type {number} */ (child.pid));
      const result = sampler.stop();
      const after = cpuSeconds(/** @type {number} */ (child.pid));
      expect(result.servers.cpuSeconds).toBeGreaterThanOrEqual(0);
      expect(result.servers.cpuSeconds).toBeLessThanOrEqual(after - before + 0.01);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
