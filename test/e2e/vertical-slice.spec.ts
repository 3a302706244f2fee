import { startGateway } from '@switchboard/gateway/service';
import { startRooms } from '@switchboard/rooms/service';
import { SwitchboardClient } from '@switchboard/client/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, Stack, testEnv, uid } from '../support/stack.js';

/** Issue 2's slice: WS client → gateway → NATS → rooms → Postgres/Redis → events on another replica. */
describe('vertical slice across two gateway replicas', () => {
  const stack = new Stack();
  let gwA: Awaited<ReturnType<typeof startGateway>>;
  let gwB: Awaited<ReturnType<typeof startGateway>>;

  beforeAll(async () => {
    await stack.add(startRooms(testEnv()));
    gwA = await stack.add(startGateway(testEnv()));
    gwB = await stack.add(startGateway(testEnv()));
  });
  afterAll(() => stack.stop());

  interface Minted {
    token: string;
    expiresAt: number;
    error: { code: string };
  }
  async function mint(port: number, body: unknown, key = ADMIN_KEY): Promise<{ status: number; body: Minted }> {
    const res = await fetch(`http://127.0.0.1:${port}/admin/v1/tokens`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Minted };
  }

  it('mints tokens over admin REST, and refuses without a valid key or with bad input', async () => {
    expect((await mint(gwA.httpPort, { userId: 'x' }, 'wrong')).status).toBe(401);
    const bad = await mint(gwA.httpPort, { userId: 'has space' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('bad_request');
    const ok = await mint(gwA.httpPort, { userId: uid(), ttlSeconds: 60 });
    expect(ok.status).toBe(201);
    const body = ok.body;
    expect(body.token.split('.')).toHaveLength(3);
    expect(body.expiresAt).toBeGreaterThan(Date.now());
  });

  it('hello, ping, create on A, join on B, participant_joined delivered to A, leave, get', async () => {
    const alice = uid('alice');
    const bob = uid('bob');
    const tokenA = (await mint(gwA.httpPort, { userId: alice, name: 'Alice' })).body.token;
    const tokenB = (await mint(gwA.httpPort, { userId: bob, name: 'Bob' })).body.token;
    const a = await SwitchboardClient.connect(`ws://127.0.0.1:${gwA.httpPort}/ws`, tokenA);
    const b = await SwitchboardClient.connect(`ws://127.0.0.1:${gwB.httpPort}/ws`, tokenB);
    stack.onStop(() => Promise.all([a.close(), b.close()]));

    expect(a.hello).toMatchObject({ userId: alice, heartbeatMs: expect.any(Number), limits: { maxFrameBytes: 65536 }, server: { node: gwA.platform.config.NODE_ID } });
    expect(a.hello.connectionId).not.toBe(b.hello.connectionId);
    expect((await a.request('ping')).ts).toBeGreaterThan(0);

    const created = await a.request('room.create', { name: 'standup', kind: 'group', joinPolicy: 'open' });
    expect(created.room).toMatchObject({ name: 'standup', kind: 'group', ownerId: alice, participantCount: 1 });
    const roomId = created.room.id;

    const joined = await b.request('room.join', { roomId });
    expect(joined.participants.map((p: { userId: string }) => p.userId).sort()).toEqual([alice, bob].sort());
    const ev = await a.waitFor('room.participant_joined', (e) => e.room === roomId);
    expect(ev.data.participant).toMatchObject({ userId: bob, name: 'Bob', role: 'member', muted: false, connectionId: b.hello.connectionId });
    expect(ev.seq).toBe(joined.seq);

    const got = await a.request('room.get', { roomId });
    expect(got.room.participantCount).toBe(2);

    await b.request('room.leave', { roomId });
    const left = await a.waitFor('room.participant_left', (e) => e.room === roomId);
    expect(left.data).toEqual({ userId: bob, connectionId: b.hello.connectionId, reason: 'left' });
    expect(left.seq).toBe(ev.seq! + 1);
    expect((await a.request('room.get', { roomId })).room.participantCount).toBe(1);
  });

  it('rejects an upgrade without a valid token with HTTP 401', async () => {
    await expect(SwitchboardClient.connect(`ws://127.0.0.1:${gwA.httpPort}/ws`, 'not-a-jwt')).rejects.toMatchObject({ details: { status: 401 } });
  });

  it('answers unknown rooms and bad input with typed errors and keeps the socket open', async () => {
    const c = await stack.client(gwA);
    await expect(c.request('room.join', { roomId: 'r_missing' })).rejects.toMatchObject({ code: 'not_found' });
    await expect(c.request('room.join', { roomId: 'a.b' })).rejects.toMatchObject({ code: 'bad_request' });
    await expect(c.request('room.create', { name: 'x', kind: 'nope', joinPolicy: 'open' })).rejects.toMatchObject({ code: 'bad_request' });
    await expect(c.request('no.such.verb', {})).rejects.toMatchObject({ code: 'bad_request' });
    expect((await c.request('ping')).ts).toBeGreaterThan(0);
  });
});
