import type { ChildProcess } from 'node:child_process';
import * as grpc from '@grpc/grpc-js';
import { connect } from '@nats-io/transport-node';
import { SwitchboardClient } from '@switchboard/client/node';
import { callUnary } from '@switchboard/platform';
import { health } from '@switchboard/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isFree, startNpmStart, type NpmStart } from '../support/npm-start.js';
import { uid, until } from '../support/stack.js';

/** Issue 2 "done when": the one-command local stack, driven like a user would. */
describe('npm start (scripts/start.mjs)', () => {
  let child: ChildProcess;
  let base: number;
  let output = '';
  const adminKey = `key-${uid()}`;

  let started: NpmStart | undefined;

  beforeAll(async () => {
    started = await startNpmStart({ JWT_SECRET: 'npm-start-test-secret-0123456789', ADMIN_API_KEYS: adminKey });
    ({ child, base } = started);
    output = started.output();
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
  }, 200_000);

  afterAll(async () => {
    await started?.stop(); // the last test stops it with Ctrl-C itself; this is for a failure before that
  });

  it('prints the URLs, mints a token over REST, and routes a room between replica A and B', async () => {
    expect(output).toContain(`ws://127.0.0.1:${base}/ws`);
    expect(output).toContain(`ws://127.0.0.1:${base + 1}/ws`);
    const mint = async (userId: string) => {
      const res = await fetch(`http://127.0.0.1:${base}/admin/v1/tokens`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': adminKey }, body: JSON.stringify({ userId }) });
      expect(res.status).toBe(201);
      return ((await res.json()) as { token: string }).token;
    };
    const a = await SwitchboardClient.connect(`ws://127.0.0.1:${base}/ws`, await mint(uid('a')));
    const b = await SwitchboardClient.connect(`ws://127.0.0.1:${base + 1}/ws`, await mint(uid('b')));
    try {
      expect(a.hello.server.node).toBe('gateway-a');
      expect(b.hello.server.node).toBe('gateway-b');
      const { room } = await a.request('room.create', { name: 'npm-start', kind: 'p2p', joinPolicy: 'open' });
      await b.request('room.join', { roomId: room.id });
      const ev = await a.waitFor('room.participant_joined', (e) => e.room === room.id);
      expect(ev.data.participant.connectionId).toBe(b.hello.connectionId);
      // media is wired to rooms (membership), the gateways and its database (the call log)
      const { callId } = await a.request('call.start', { roomId: room.id, media: 'audio', mode: 'p2p' });
      await b.waitFor('call.incoming', (e) => e.data.callId === callId);
      await b.request('call.decline', { callId });
      await a.waitFor('call.ended', (e) => e.data.callId === callId);
      const calls = await fetch(`http://127.0.0.1:${base + 1}/admin/v1/calls?roomId=${room.id}`, { headers: { 'x-api-key': adminKey } });
      expect(((await calls.json()) as { calls: { id: string }[] }).calls.map((c) => c.id)).toEqual([callId]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('serves the demo app and the admin console at the printed URL, with dev tokens the gateways accept', async () => {
    const demo = `http://127.0.0.1:${base + 50}`;
    expect(output).toContain(`${demo}/`);
    expect(await (await fetch(`${demo}/`)).text()).toContain('Switchboard demo');
    expect(await (await fetch(`${demo}/admin/`)).text()).toContain('Switchboard admin console');
    const config = (await (await fetch(`${demo}/config.json`)).json()) as { servers: string[]; devTokens: boolean };
    expect(config).toEqual({ servers: [`ws://127.0.0.1:${base}/ws`, `ws://127.0.0.1:${base + 1}/ws`], devTokens: true });
    const minted = (await (await fetch(`${demo}/dev/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Demo User' }) })).json()) as { token: string; userId: string };
    const c = await SwitchboardClient.connect(config.servers[1], minted.token);
    expect(c.hello.userId).toBe('demo-user');
    await c.close();
    // the console's calls go through the demo server with the operator's own key, and only with it
    expect((await fetch(`${demo}/admin/v1/rooms`, { headers: { 'x-api-key': adminKey } })).status).toBe(200);
    expect((await fetch(`${demo}/admin/v1/rooms`)).status).toBe(401);
  });

  it('migrates the attestation database and lists both gateways in the signed GET /v1/servers', async () => {
    // Polled gently: the public routes are rate limited per address (ATTEST_RATE_PER_MIN).
    const res = await until(async () => {
      const r = await fetch(`http://127.0.0.1:${base}/v1/servers`);
      const list = ((await r.json()) as { servers: { endpoint: string }[] }).servers.map((s) => s.endpoint);
      return list.includes(`ws://127.0.0.1:${base}/ws`) && list.includes(`ws://127.0.0.1:${base + 1}/ws`) ? r : undefined;
    }, 'both gateways in the server list', 15_000, 500);
    expect(res.headers.get('switchboard-signature')).toMatch(/^[A-Za-z0-9_-]{86}$/);
    const tokens = await fetch(`http://127.0.0.1:${base}/admin/v1/attestation/build-tokens`, { headers: { 'x-api-key': adminKey } });
    expect(tokens.status).toBe(200);
  });

  it('starts coturn and LiveKit next to the services: hello (or session.ice) has ICE servers, media.token gives an SFU URL', async () => {
    const res = await fetch(`http://127.0.0.1:${base}/admin/v1/tokens`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': adminKey }, body: JSON.stringify({ userId: uid('sfu') }) });
    const a = await SwitchboardClient.connect(`ws://127.0.0.1:${base}/ws`, ((await res.json()) as { token: string }).token);
    try {
      const ice = (await a.iceServers()) as { urls: string[] | string; username?: string }[];
      expect(ice.length).toBeGreaterThan(0);
      expect(ice.some((s) => s.username && [s.urls].flat().some((u) => u.startsWith('turn:127.0.0.1:'))), JSON.stringify(ice)).toBe(true);
      const { room } = await a.request('room.create', { name: 'npm-start-sfu', kind: 'sfu', joinPolicy: 'open' });
      const grant = await a.request('media.token', { roomId: room.id });
      expect(grant.url).toBe(`ws://127.0.0.1:${base + 41}`);
      expect(grant.token.split('.')).toHaveLength(3);
      // LiveKit answers on loopback and knows the room the token is for
      expect((await fetch(`http://127.0.0.1:${base + 41}/`)).status).toBe(200);
    } finally {
      await a.close();
    }
    expect(output).toContain(`SFU (LiveKit)  ws://127.0.0.1:${base + 41}`);
  });

  it('serves /metrics, /healthz and /readyz on every process', async () => {
    for (const offset of [0, 1, 11, 12, 13, 14]) {
      const metrics = await fetch(`http://127.0.0.1:${base + offset}/metrics`);
      expect(metrics.status).toBe(200);
      const text = await metrics.text();
      expect(text).toMatch(/^process_cpu_user_seconds_total\{service="[a-z]+"/m);
      expect((await fetch(`http://127.0.0.1:${base + offset}/healthz`)).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${base + offset}/readyz`)).status).toBe(200);
    }
  });

  it('guards its trust boundaries: NATS and gRPC refuse callers without credentials', async () => {
    await expect(connect({ servers: `nats://127.0.0.1:${base + 30}`, reconnect: false })).rejects.toThrow(/authorization/i);
    for (const offset of [21, 22, 23, 24]) {
      const bare = new health.HealthClient(`127.0.0.1:${base + offset}`, grpc.credentials.createInsecure());
      try {
        await expect(callUnary(bare, bare.check, { service: '' }, 5000)).rejects.toMatchObject({ code: 'unauthorized' });
      } finally {
        bare.close();
      }
    }
  });

  it('stops every process cleanly on Ctrl-C', async () => {
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(output).toContain('stopped');
    for (const offset of [0, 1, 11, 12, 13, 14, 41]) expect(await isFree(base + offset)).toBe(true);
    await expect(connect({ servers: `nats://127.0.0.1:${base + 30}`, reconnect: false })).rejects.toThrow();
  });
});
