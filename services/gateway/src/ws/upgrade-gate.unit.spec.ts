import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { UpgradeGate, type UpgradeGateOptions } from './upgrade-gate.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

/** A server whose upgrade listener decides each upgrade when the test says so (`decide(i)`: 101), recording the order it saw them in. */
async function setup(opts: Partial<UpgradeGateOptions> = {}) {
  const seen: string[] = [];
  const sockets = new Map<string, Duplex>();
  let inFlight = 0;
  let maxInFlight = 0;
  const outcomes: string[] = [];
  const server = createServer();
  servers.push(server);
  server.on('upgrade', (req: IncomingMessage, socket: Duplex) => {
    const id = req.url!.slice(1);
    seen.push(id);
    sockets.set(id, socket);
    maxInFlight = Math.max(maxInFlight, ++inFlight);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const gate = UpgradeGate.install(server, { concurrency: 2, maxWaiting: 100, maxWaitMs: 60_000, onOutcome: (o) => outcomes.push(o), ...opts })!;
  const port = (server.address() as AddressInfo).port;
  /** Sends an upgrade request; resolves with the status line the server answers. */
  const upgrade = (id: string) =>
    new Promise<string>((resolve) => {
      const c = connect(port, '127.0.0.1', () => c.write(`GET /${id} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n`));
      let data = '';
      c.on('data', (d) => (data += d.toString()));
      c.on('close', () => resolve(data.split('\r\n')[0]));
      c.on('error', () => resolve(data.split('\r\n')[0]));
    });
  const decide = (id: string) => {
    inFlight--;
    const s = sockets.get(id)!;
    s.write('HTTP/1.1 101 Switching Protocols\r\n\r\n');
    s.end();
  };
  const until = async (ok: () => boolean) => {
    for (let i = 0; i < 500 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
    expect(ok()).toBe(true);
  };
  return { gate, seen, upgrade, decide, until, outcomes, maxInFlight: () => maxInFlight };
}

describe('UpgradeGate (upgrades in arrival order, a bounded number at once, ADR 0096)', () => {
  it('decides at most `concurrency` upgrades at once and the rest in the order they arrived', async () => {
    const { gate, seen, upgrade, decide, until, outcomes, maxInFlight } = await setup();
    const replies: Promise<string>[] = [];
    for (const id of ['a', 'b', 'c', 'd', 'e']) {
      replies.push(upgrade(id));
      // Arrival order is the order the server reads them in: one at a time here.
      await until(() => seen.length + gate.stats().waiting === replies.length);
    }
    expect(seen).toEqual(['a', 'b']);
    expect(gate.stats()).toEqual({ inFlight: 2, waiting: 3 });
    decide('b');
    await until(() => seen.length === 3);
    expect(seen).toEqual(['a', 'b', 'c']);
    for (const id of ['a', 'c']) decide(id);
    await until(() => seen.length === 5);
    for (const id of ['d', 'e']) decide(id);
    expect(await Promise.all(replies)).toEqual(Array(5).fill('HTTP/1.1 101 Switching Protocols'));
    expect(seen).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(maxInFlight()).toBe(2);
    expect(outcomes.filter((o) => o === 'queued')).toHaveLength(3);
    await until(() => gate.stats().inFlight === 0 && gate.stats().waiting === 0);
  });

  it('refuses with 503, before deciding it, an upgrade that waited past maxWaitMs, and one beyond maxWaiting', async () => {
    const { gate, seen, upgrade, decide, until, outcomes } = await setup({ concurrency: 1, maxWaiting: 1, maxWaitMs: 50 });
    const first = upgrade('a');
    await until(() => seen.length === 1);
    const late = upgrade('b');
    await until(() => gate.stats().waiting === 1);
    expect(await upgrade('c')).toBe('HTTP/1.1 503 Service Unavailable');
    await new Promise((r) => setTimeout(r, 80));
    decide('a');
    expect(await first).toBe('HTTP/1.1 101 Switching Protocols');
    expect(await late).toBe('HTTP/1.1 503 Service Unavailable');
    expect(seen).toEqual(['a']);
    expect(outcomes).toEqual(['queued', 'overflow', 'expired']);
  });

  it('is not installed with concurrency 0: the server keeps its own listeners', () => {
    const server = createServer();
    const l = () => undefined;
    server.on('upgrade', l);
    expect(UpgradeGate.install(server, { concurrency: 0, maxWaiting: 1, maxWaitMs: 1 })).toBeUndefined();
    expect(server.listeners('upgrade')).toEqual([l]);
  });
});
