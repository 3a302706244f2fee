import { pack, unpack } from 'msgpackr';
import WebSocket from 'ws';
import { SwitchboardClient } from '@switchboard/client/node';
import { subjects } from '@switchboard/protocol';
import { startGateway } from '@switchboard/gateway/service';
import { startRooms } from '@switchboard/rooms/service';
import { UPGRADE_AUTH_HEADER } from '@switchboard/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionRegistry } from '../../services/gateway/src/connections/connection.registry.js';
import { Subscriptions } from '../../services/gateway/src/routing/subscriptions.js';
import { Stack, testEnv, token, uid, until } from '@switchboard/testing/stack';
import type { LooseJson } from '@switchboard/testing/json';

type Gateway = Awaited<ReturnType<typeof startGateway>>;

function rawSocket(gw: Gateway, jwt: string, opts: { protocols?: string[]; autoPong?: boolean } = {}): Promise<{ ws: WebSocket; frames: unknown[] }> {
  const ws = new WebSocket(`ws://127.0.0.1:${gw.httpPort}/ws`, opts.protocols ?? ['switchboard.v1'], { headers: { Authorization: `Bearer ${jwt}` }, autoPong: opts.autoPong ?? true });
  const frames: unknown[] = [];
  ws.on('message', (d, binary) => frames.push(binary ? unpack(d as Buffer) : JSON.parse(d.toString())));
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, frames }));
    ws.once('error', reject);
  });
}

/** The HTTP answer to an upgrade the server refuses: status, `Switchboard-Auth-Error`, JSON body. */
function upgradeRefusal(url: string, jwt: string): Promise<{ status: number; reason: unknown; body: unknown }> {
  const ws = new WebSocket(url, ['switchboard.v1'], jwt ? { headers: { Authorization: `Bearer ${jwt}` } } : {});
  return new Promise((resolve, reject) => {
    ws.once('open', () => reject(new Error('the upgrade was accepted')));
    ws.once('error', reject);
    ws.once('unexpected-response', (req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => {
        req.destroy();
        resolve({ status: res.statusCode ?? 0, reason: res.headers[UPGRADE_AUTH_HEADER], body: JSON.parse(body) });
      });
    });
  });
}

const closeCode = (ws: WebSocket) => new Promise<number>((resolve) => (ws.readyState === WebSocket.CLOSED ? resolve(1006) : ws.once('close', (code) => resolve(code))));

describe('gateway session layer', () => {
  const stack = new Stack();
  let gw: Gateway;

  beforeAll(async () => {
    await stack.add(startRooms(testEnv()));
    gw = await stack.add(startGateway(testEnv({ RATE_PER_SEC: '5', RATE_BURST: '10', RATE_MAX_VIOLATIONS: '20', HEARTBEAT_MS: '1000' })));
  });
  afterAll(() => stack.stop());

  it('accepts the token from the header, a bearer subprotocol or the query string', async () => {
    for (const auth of ['header', 'subprotocol', 'query'] as const) {
      const c = await stack.client(gw, uid(auth), { auth });
      expect(c.hello.userId).toMatch(new RegExp(`^${auth}`));
      expect(c.ws.protocol).toBe('switchboard.v1');
    }
  });

  it('refuses missing, expired and forged tokens with HTTP 401 before any socket opens', async () => {
    const url = `ws://127.0.0.1:${gw.httpPort}/ws`;
    const expired = await token(uid(), {}, -10);
    // Flip a character in the middle of the signature (the last one may only carry padding bits).
    const good = await token(uid());
    const at = good.lastIndexOf('.') + 10;
    const forged = good.slice(0, at) + (good[at] === 'A' ? 'B' : 'A') + good.slice(at + 1);
    for (const t of ['', expired, forged, 'abc.def.ghi']) {
      await expect(SwitchboardClient.connect(url, t)).rejects.toMatchObject({ details: { status: 401 } });
    }
    // The 401 says why (header and JSON body): only `expired` is cured by a fresh token alone.
    const cases: [string, string][] = [['', 'missing'], [expired, 'expired'], [forged, 'invalid'], ['abc.def.ghi', 'invalid']];
    for (const [t, reason] of cases) {
      const refused = await upgradeRefusal(url, t);
      expect(refused).toMatchObject({ status: 401, reason, body: { error: { code: 'unauthorized', reason } } });
    }
  });

  it('sends error unauthorized and closes 4001 when the token expires on an open connection', async () => {
    const c = await SwitchboardClient.connect(`ws://127.0.0.1:${gw.httpPort}/ws`, await token(uid(), {}, 2));
    const err = await c.waitFor('error', () => true, 5000);
    expect(err).toMatchObject({ error: { code: 'unauthorized' } });
    expect(await c.closed(5000)).toBe(4001);
  });

  it('speaks the same protocol over MessagePack', async () => {
    const { ws, frames } = await rawSocket(gw, await token(uid('mp')), { protocols: ['switchboard.v1.msgpack'] });
    expect(ws.protocol).toBe('switchboard.v1.msgpack');
    await until(() => frames.length >= 1, 'hello');
    expect(frames[0]).toMatchObject({ type: 'hello', data: { userId: expect.stringMatching(/^mp/) } });
    ws.send(pack({ id: 'p1', type: 'ping' }));
    ws.send(pack({ id: 'c1', type: 'room.create', data: { name: 'mp', kind: 'group', joinPolicy: 'open' } }));
    ws.send(pack({ id: 'bad', type: 'room.join', data: { roomId: 7 } }));
    // Replies only: a `session.ice` event may come in between (ADR 0080).
    const replies = () => (frames as { re?: string }[]).filter((f) => f.re !== undefined);
    await until(() => replies().length >= 3, 'three replies');
    const byRe = Object.fromEntries(replies().map((f) => [f.re, f]));
    expect(byRe.p1).toMatchObject({ type: 'ping.ok', data: { ts: expect.any(Number) } });
    expect(byRe.c1).toMatchObject({ type: 'room.create.ok', data: { room: { name: 'mp' } } });
    expect(byRe.bad).toMatchObject({ type: 'error', error: { code: 'bad_request' } });
    ws.close();
  });

  it('answers frames over maxFrameBytes with too_large, and closes 1009 on absurd ones', async () => {
    const c = await stack.client(gw);
    const big = JSON.stringify({ id: 'big', type: 'room.broadcast', data: { roomId: 'r1', data: 'x'.repeat(70_000) } });
    c.send(big);
    const err = await c.waitFor('error', (e: LooseJson) => e.error?.code === 'too_large');
    expect(err).toBeTruthy();
    expect((await c.request('ping')).ts).toBeGreaterThan(0);
    c.send('x'.repeat(65536 * 4 + 10));
    expect(await c.closed()).toBe(1009);
  });

  it('rate-limits with retryAfterMs and disconnects a connection that keeps flooding (1008)', async () => {
    const c = await stack.client(gw);
    const replies = await Promise.allSettled(Array.from({ length: 15 }, () => c.request('ping')));
    const limited = replies.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason);
    expect(replies.filter((r) => r.status === 'fulfilled').length).toBeGreaterThanOrEqual(10);
    expect(limited.length).toBeGreaterThan(0);
    expect(limited[0]).toMatchObject({ code: 'rate_limited', details: { retryAfterMs: expect.any(Number) } });
    const other = await stack.client(gw);
    for (let i = 0; i < 40; i++) c.send({ id: `f${i}`, type: 'ping' });
    expect(await c.closed()).toBe(1008);
    expect((await other.request('ping')).ts).toBeGreaterThan(0);
  });

  it('drops a peer that stops answering WebSocket pings', async () => {
    const { ws } = await rawSocket(gw, await token(uid()), { autoPong: false });
    expect(await closeCode(ws)).toBe(1006);
  });

  it('leaves no connections or subscriptions behind', async () => {
    const subs = gw.app.get(Subscriptions);
    const registry = gw.app.get(ConnectionRegistry);
    const clients = await Promise.all([stack.client(gw, uid('same')), stack.client(gw), stack.client(gw)]);
    const { room } = await clients[0].request('room.create', { name: 'leak', kind: 'group', joinPolicy: 'open' });
    await clients[1].request('room.join', { roomId: room.id });
    await clients[2].request('room.join', { roomId: room.id });
    const held = [subjects.room(room.id), ...clients.flatMap((c) => [`sb.evt.conn.${c.hello.connectionId}`, `sb.evt.user.${c.hello.userId}`])];
    expect(subs.subscribers(held[0])).toBe(3);
    await clients[1].request('room.leave', { roomId: room.id });
    expect(subs.subscribers(held[0])).toBe(2);
    await Promise.all(clients.map((c) => c.close()));
    await until(() => clients.every((c) => !registry.get(c.hello.connectionId)), 'connections to leave the table');
    expect(held.map((s) => subs.subscribers(s))).toEqual(held.map(() => 0));
  });
});

describe('gateway draining', () => {
  it('goes unready, tells clients to reconnect, then closes stragglers with 1012', async () => {
    const stack = new Stack();
    try {
      const gw = await startGateway(testEnv({ DRAIN_GRACE_MS: '1500' }));
      const polite = await stack.client(gw);
      const stubborn = await stack.client(gw);
      polite.on('event', (e) => e.type === 'session.draining' && polite.close());
      expect((await fetch(`http://127.0.0.1:${gw.httpPort}/readyz`)).status).toBe(200);
      const stopping = gw.stop();
      const draining = await stubborn.waitFor('session.draining');
      expect(draining.data.reconnectInMs).toEqual(expect.any(Number));
      expect((await fetch(`http://127.0.0.1:${gw.httpPort}/readyz`)).status).toBe(503);
      await expect(SwitchboardClient.connect(`ws://127.0.0.1:${gw.httpPort}/ws`, await token(uid()))).rejects.toMatchObject({ details: { status: 503 } });
      expect(await polite.closed()).toBe(1000);
      expect(await stubborn.closed(5000)).toBe(1012);
      await stopping;
    } finally {
      await stack.stop();
    }
  });
});
