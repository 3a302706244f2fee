import { generateKeyPairSync, sign } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ClientError } from './errors.js';
import { connect, type Switchboard } from './switchboard.js';
import { ICE_ON_REQUEST_PROTOCOL as PROTOCOL_ICE_ON_REQUEST } from '@switchboard/protocol';
import { decodeFrame, ICE_ON_REQUEST_PROTOCOL, type SocketLike } from './transport.js';

/**
 * The SDK's connection state machine against scripted sockets (the e2e files run it against real
 * gateways): what a test cannot easily make a real server do — hello timeouts, rate-limit
 * retries, refused resubscribe/resync, give-up after maxAttempts, failed handoff and refresh.
 */
class FakeSocket implements SocketLike {
  static all: FakeSocket[] = [];
  readyState = 0;
  protocol = '';
  binaryType = '';
  onopen: SocketLike['onopen'] = null;
  onmessage: SocketLike['onmessage'] = null;
  onclose: SocketLike['onclose'] = null;
  onerror: SocketLike['onerror'] = null;
  readonly sent: Record<string, any>[] = [];
  closedWith?: [number | undefined, string | undefined];
  constructor(
    readonly url: string,
    readonly protocols: string[],
  ) {
    FakeSocket.all.push(this);
  }
  send(data: string | Uint8Array) {
    this.sent.push(decodeFrame(data)!);
  }
  close(code?: number, reason?: string) {
    this.closedWith = [code, reason];
    this.readyState = 3;
  }
  /** The server side. */
  hello(over: Record<string, unknown> = {}) {
    this.readyState = 1;
    this.onmessage!({ data: JSON.stringify({ type: 'hello', data: { connectionId: `c${FakeSocket.all.indexOf(this)}`, userId: 'u1', sessionId: 's1', ...over } }) });
  }
  frame(f: object) {
    this.onmessage!({ data: JSON.stringify(f) });
  }
  reply(verb: string, data: object) {
    const req = this.last(verb);
    this.frame({ re: req.id, type: `${verb}.ok`, data });
  }
  error(verb: string, error: object) {
    this.frame({ re: this.last(verb).id, type: 'error', error });
  }
  last(verb: string) {
    const req = [...this.sent].reverse().find((f) => f.type === verb);
    if (!req) throw new Error(`no ${verb} sent on ${this.url}`);
    return req;
  }
  drop(code: number, reason = '') {
    this.readyState = 3;
    this.onclose!({ code, reason });
  }
}

const latest = () => FakeSocket.all.at(-1)!;
const until = (cond: () => unknown) => vi.waitFor(() => expect(cond()).toBeTruthy(), { timeout: 5000, interval: 2 });
const jwt = (expSeconds: number) => `h.${Buffer.from(JSON.stringify({ exp: expSeconds })).toString('base64url')}.s`;

/** Connects through a scripted socket that says hello at once. */
async function connected(opts: Partial<Parameters<typeof connect>[0]> = {}): Promise<{ sb: Switchboard; s: FakeSocket }> {
  const p = connect({ url: 'ws://a.test/ws', token: 'not-a-jwt', WebSocket: FakeSocket, ...opts });
  await until(() => FakeSocket.all.length && latest().onmessage);
  latest().hello();
  const sb = await p;
  return { sb, s: latest() };
}

describe('Switchboard (scripted sockets)', () => {
  afterEach(() => {
    FakeSocket.all = [];
    vi.unstubAllGlobals();
    vi.useRealTimers();
  });

  it('refuses to connect without a token or a URL', async () => {
    await expect(connect({ url: 'ws://a.test/ws' })).rejects.toMatchObject({ code: 'bad_request' });
    await expect(connect({ token: 't' })).rejects.toMatchObject({ code: 'bad_request' });
  });

  it('gives up on a socket that never says hello within helloTimeoutMs, and closes it', async () => {
    const err = await connect({ url: 'ws://a.test/ws', token: 't', WebSocket: FakeSocket, helloTimeoutMs: 20 }).catch((e) => e);
    expect(err).toBeInstanceOf(ClientError);
    expect(err.code).toBe('timeout');
    expect(latest().closedWith).toBeDefined();
  });

  it('iceServers(): hello\'s at once, or after a pending hello those of session.ice (which also updates hello)', async () => {
    const ready = await connected();
    expect(await ready.sb.iceServers()).toBe(ready.sb.hello.iceServers);

    const p = connect({ url: 'ws://a.test/ws', token: 't', WebSocket: FakeSocket });
    await until(() => FakeSocket.all.length === 2 && latest().onmessage);
    latest().hello({ iceServers: [{ urls: ['stun:a'] }], iceServersPending: true });
    const sb = await p;
    let got: unknown;
    void sb.iceServers().then((servers) => (got = servers));
    await new Promise((r) => setImmediate(r));
    expect(got).toBeUndefined();
    const turn = [{ urls: ['stun:a'] }, { urls: ['turn:t'], username: 'u', credential: 'c' }];
    latest().frame({ type: 'session.ice', data: { iceServers: turn } });
    await until(() => got);
    expect(got).toEqual(turn);
    expect(sb.hello.iceServers).toEqual(turn);
    expect(sb.hello.iceServersPending).toBeUndefined();
    expect(await sb.iceServers()).toEqual(turn);
  });

  it('iceServers() after a hello with iceServersOnRequest: one ice.servers request, shared by concurrent callers; STUN and asked again after a failure', async () => {
    const { sb, s } = await connected();
    expect(s.protocols).toContain(ICE_ON_REQUEST_PROTOCOL);
    const p = connect({ url: 'ws://a.test/ws', token: 't', WebSocket: FakeSocket });
    await until(() => FakeSocket.all.length === 2 && latest().onmessage);
    latest().hello({ iceServers: [{ urls: ['stun:a'] }], iceServersOnRequest: true });
    const asking = await p;
    sb.close();
    const first = asking.iceServers();
    const second = asking.iceServers();
    await until(() => latest().sent.some((f) => f.type === 'ice.servers'));
    expect(latest().sent.filter((f) => f.type === 'ice.servers')).toHaveLength(1);
    const turn = [{ urls: ['stun:a'] }, { urls: ['turn:t'], username: 'u', credential: 'c' }];
    latest().reply('ice.servers', { iceServers: turn, expiresAt: Date.now() + 3_600_000 });
    expect(await first).toEqual(turn);
    expect(await second).toEqual(turn);
    expect(await asking.iceServers()).toEqual(turn);
    expect(latest().sent.filter((f) => f.type === 'ice.servers')).toHaveLength(1);

    const q = connect({ url: 'ws://a.test/ws', token: 't', WebSocket: FakeSocket });
    await until(() => FakeSocket.all.length === 3 && latest().onmessage);
    latest().hello({ iceServers: [{ urls: ['stun:b'] }], iceServersOnRequest: true });
    const failing = await q;
    const stun = failing.iceServers();
    await until(() => latest().sent.some((f) => f.type === 'ice.servers'));
    latest().error('ice.servers', { code: 'unavailable', message: 'media down' });
    expect(await stun).toEqual([{ urls: ['stun:b'] }]);
    void failing.iceServers();
    await until(() => latest().sent.filter((f) => f.type === 'ice.servers').length === 2);
    asking.close();
    failing.close();
  });

  it('offers the encoding, bearer and attestation subprotocols; notify sends only while connected', async () => {
    const { sb, s } = await connected({ encoding: 'msgpack', attestation: async () => 'att1' });
    expect(s.protocols).toEqual(['switchboard.v1.msgpack', 'bearer.not-a-jwt', ICE_ON_REQUEST_PROTOCOL, 'attest.att1']);
    expect(ICE_ON_REQUEST_PROTOCOL).toBe(PROTOCOL_ICE_ON_REQUEST);
    expect(sb.binary).toBe(true);
    expect(sb.sessionId).toBe('s1');
    sb.notify('chat.typing', { roomId: 'r1' } as never);
    expect(s.sent).toEqual([{ type: 'chat.typing', data: { roomId: 'r1' } }]);
    sb.close();
    sb.notify('chat.typing', { roomId: 'r1' } as never);
    expect(s.sent).toHaveLength(1);
    expect(s.closedWith).toEqual([1000, 'closed by client']);
  });

  it('connects to the endpoints of a verified server list (http → ws, /ws path), refusing an empty one', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const keys = { k1: { publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString() } };
    let servers = [{ nodeId: 'n1', endpoint: 'https://a.example', region: 'eu', publicKey: 'x', lastSeen: 1 }];
    vi.stubGlobal('fetch', async () => {
      const body = JSON.stringify({ servers, timestamp: Date.now(), keyId: 'k1' });
      return new Response(body, { headers: { 'switchboard-signature': sign(null, Buffer.from(body), privateKey).toString('base64url') } });
    });
    const { sb, s } = await connected({ url: undefined, servers: { baseUrl: 'https://boot.example', keys } });
    expect(s.url).toBe('wss://a.example/ws');
    sb.close();
    servers = [];
    await expect(connect({ servers: { baseUrl: 'https://boot.example', keys }, token: 't', WebSocket: FakeSocket })).rejects.toMatchObject({ code: 'unavailable' });
  });

  it('re-sends an outbox entry after the rate-limit hint instead of failing it, with the same id', async () => {
    const { sb, s } = await connected();
    const sending = sb.sendChat('r1', 'hi');
    await until(() => s.sent.length === 1);
    const first = s.last('chat.send');
    expect(typeof first.data.clientMsgId).toBe('string');
    s.error('chat.send', { code: 'rate_limited', retryAfterMs: 5 });
    await until(() => s.sent.length === 2);
    expect(s.sent[1]).toEqual(first);
    s.reply('chat.send', { message: { id: 'm1', text: 'hi' } });
    expect(await sending).toEqual({ id: 'm1', text: 'hi' });
    sb.close();
  });

  it('a server error without code or message still rejects typed (internal)', async () => {
    const { sb, s } = await connected();
    const req = sb.request('room.join', { roomId: 'r1' });
    await until(() => s.sent.length === 1);
    s.frame({ re: s.last('room.join').id, type: 'error' });
    await expect(req).rejects.toMatchObject({ code: 'internal' });
    sb.close();
  });

  it('close codes that say "do not come back" stop the client: 4003 (admin) and 4001 without getToken', async () => {
    for (const [code, event] of [
      [4003, 'disconnectedByAdmin'],
      [4002, 'replaced'],
      [4001, undefined],
    ] as const) {
      FakeSocket.all = [];
      const { sb, s } = await connected();
      const seen: unknown[] = [];
      sb.on('disconnected', (i) => seen.push(['disconnected', i.willReconnect]));
      if (event) sb.on(event, () => seen.push([event]));
      sb.on('closed', (i) => seen.push(['closed', i.code]));
      const waiting = sb.request('room.join', { roomId: 'r1' });
      await until(() => s.sent.length === 1);
      s.drop(code);
      await expect(waiting).rejects.toMatchObject({ code: 'disconnected', details: { closeCode: code } });
      expect(seen).toEqual([['disconnected', false], ...(event ? [[event]] : []), ['closed', code]]);
      await expect(sb.request('room.join', { roomId: 'r1' })).rejects.toMatchObject({ code: 'closed' });
      expect(FakeSocket.all).toEqual([s]); // no reconnect attempt
    }
  });

  it('puts an unanswered outbox entry back at the front on a drop and re-sends it after the reconnect', async () => {
    const { sb, s } = await connected({ reconnect: { minDelayMs: 1, maxDelayMs: 2 } });
    const sending = sb.sendChat('r1', 'kept', { clientMsgId: 'cm1' });
    await until(() => s.sent.length === 1);
    s.drop(1006);
    expect(sb.outbox).toEqual([{ verb: 'chat.send', data: { roomId: 'r1', text: 'kept', clientMsgId: 'cm1' } }]);
    await until(() => latest() !== s && latest().onmessage);
    const s2 = latest();
    s2.hello();
    await until(() => s2.sent.length === 1);
    expect(s2.last('chat.send').data.clientMsgId).toBe('cm1');
    s2.reply('chat.send', { message: { id: 'm1' } });
    expect(await sending).toEqual({ id: 'm1' });
    sb.close();
  });

  it('after maxAttempts failed reconnects in a row it stops, failing what waits', async () => {
    const { sb, s } = await connected({ reconnect: { minDelayMs: 1, maxDelayMs: 2, maxAttempts: 2 } });
    const attempts: number[] = [];
    sb.on('reconnecting', (i) => attempts.push(i.attempt));
    const closed = new Promise((r) => sb.on('closed', r));
    s.drop(1006);
    const waiting = sb.request('room.join', { roomId: 'r1' });
    for (let n = 2; n <= 3; n++) {
      await until(() => FakeSocket.all.length === n && latest().onclose);
      latest().onerror!({ message: 'connect ECONNREFUSED' });
      latest().drop(1006);
    }
    expect(await closed).toEqual({ code: 1006, reason: 'gave up reconnecting' });
    expect(attempts).toEqual([1, 2]);
    await expect(waiting).rejects.toMatchObject({ code: 'closed' });
  });

  it('an upgrade refused with 401 on reconnect stops a client that cannot get a new token', async () => {
    const { sb, s } = await connected({ reconnect: { minDelayMs: 1, maxDelayMs: 2 } });
    const closed = new Promise((r) => sb.on('closed', r));
    s.drop(1006);
    await until(() => FakeSocket.all.length === 2 && latest().onclose);
    latest().onerror!({ message: 'Unexpected server response: 401' });
    latest().drop(1006);
    expect(await closed).toEqual({ code: 4001, reason: 'unauthorized' });
  });

  it('on reconnect, a refused watch is reported in resubscribed and a room that cannot be rejoined in resync', async () => {
    const { sb, s } = await connected({ reconnect: { minDelayMs: 1, maxDelayMs: 2 } });
    const join = sb.request('room.join', { roomId: 'r1' });
    await until(() => s.sent.length === 1);
    s.reply('room.join', { seq: 7 });
    await join;
    const watch = sb.request('rooms.subscribe', {} as never);
    await until(() => s.sent.length === 2);
    s.reply('rooms.subscribe', { rooms: [], truncated: false });
    await watch;
    expect(sb.rooms.get('r1')).toBe(7);
    const events: unknown[] = [];
    sb.on('resync', (i) => events.push(['resync', i.roomId, (i.error as ClientError | undefined)?.code]));
    sb.on('resubscribed', (i) => events.push(['resubscribed', (i.error as ClientError | undefined)?.code]));
    s.drop(1006);
    await until(() => latest() !== s && latest().onmessage);
    const s2 = latest();
    s2.hello({ sessionId: 's2' });
    await until(() => s2.sent.length === 1);
    expect(s2.last('session.resume').data).toEqual({ sessionId: 's1', rooms: { r1: 7 } });
    s2.error('session.resume', { code: 'session_live', message: 'still live' });
    await until(() => s2.sent.length === 2);
    s2.error('room.join', { code: 'forbidden', message: 'banned' });
    await until(() => s2.sent.length === 3);
    s2.error('rooms.subscribe', { code: 'forbidden', message: 'no' });
    await until(() => events.length === 2);
    expect(events).toEqual([
      ['resync', 'r1', 'forbidden'],
      ['resubscribed', 'forbidden'],
    ]);
    expect(sb.rooms.has('r1')).toBe(false);
    expect(sb.connected).toBe(true);
    sb.close();
  });

  it('re-sends presence watches after a reconnect (before queued requests), without the unwatched, and emits what changed in the gap', async () => {
    const { sb, s } = await connected({ reconnect: { minDelayMs: 1, maxDelayMs: 2 } });
    const view = (status: string, devices: string[] = ['web']) => ({ status, lastSeen: 1, devices });
    const watch = sb.request('presence.subscribe', { userIds: ['ann', 'bob', 'cy'] });
    await until(() => s.sent.length === 1);
    s.reply('presence.subscribe', { presence: { ann: view('online'), bob: view('online'), cy: view('offline', []) } });
    await watch;
    // Unwatched while the watch of dan is in flight: dan's reply must not bring him back.
    const late = sb.request('presence.subscribe', { userIds: ['dan'] });
    await until(() => s.sent.length === 2);
    const unwatch = sb.request('presence.unsubscribe', { userIds: ['cy', 'dan'] });
    s.reply('presence.subscribe', { presence: { dan: view('online') } });
    await late;
    await until(() => s.sent.length === 3);
    s.reply('presence.unsubscribe', { presence: {} });
    await unwatch;
    // A live change updates what the SDK last saw: no repeat after the reconnect.
    s.frame({ type: 'presence.changed', data: { userId: 'bob', ...view('busy') } });

    const changed: unknown[] = [];
    const order: string[] = [];
    sb.on('presence.changed', (d) => (changed.push([d.userId, d.status]), order.push('changed')));
    sb.on('presenceResubscribed', (i) => order.push(`resubscribed:${Object.keys(i.presence).join(',')}:${(i.error as ClientError | undefined)?.code ?? ''}`));
    s.drop(1006);
    await until(() => latest() !== s && latest().onmessage);
    const queued = sb.request('presence.query', { userIds: ['ann'] });
    const s2 = latest();
    s2.hello({ sessionId: 's2' });
    await until(() => s2.sent.length === 1);
    expect(s2.sent.map((f) => f.type)).toEqual(['presence.subscribe']);
    expect(s2.last('presence.subscribe').data).toEqual({ userIds: ['ann', 'bob'] });
    // ann went away during the gap; bob is still busy (lastSeen differs: not a change).
    s2.reply('presence.subscribe', { presence: { ann: view('away'), bob: { ...view('busy'), lastSeen: 99 } } });
    await until(() => s2.sent.length === 2);
    expect(s2.sent[1]!.type).toBe('presence.query');
    expect(changed).toEqual([['ann', 'away']]);
    expect(order).toEqual(['changed', 'resubscribed:ann,bob:']);
    s2.reply('presence.query', { presence: {} });
    await queued;

    // A refused re-watch is reported and kept for the next connection.
    s2.drop(1006);
    await until(() => latest() !== s2 && latest().onmessage);
    const s3 = latest();
    s3.hello({ sessionId: 's3' });
    await until(() => s3.sent.length === 1);
    s3.error('presence.subscribe', { code: 'bad_request', message: 'too many' });
    await until(() => order.length === 3);
    expect(order[2]).toBe('resubscribed::bad_request');
    s3.drop(1006);
    await until(() => latest() !== s3 && latest().onmessage);
    latest().hello({ sessionId: 's4' });
    await until(() => latest().sent.length === 1);
    expect(latest().last('presence.subscribe').data).toEqual({ userIds: ['ann', 'bob'] });
    sb.close();
  });

  it('re-sends a large presence watch in chunks of 500', async () => {
    const { sb, s } = await connected({ reconnect: { minDelayMs: 1, maxDelayMs: 2 } });
    const userIds = Array.from({ length: 1200 }, (_, i) => `u${i}`);
    for (let i = 0; i < userIds.length; i += 500) {
      const r = sb.request('presence.subscribe', { userIds: userIds.slice(i, i + 500) });
      await until(() => s.sent.length === i / 500 + 1);
      s.reply('presence.subscribe', { presence: {} });
      await r;
    }
    s.drop(1006);
    await until(() => latest() !== s && latest().onmessage);
    latest().hello({ sessionId: 's2' });
    await until(() => latest().sent.length === 3);
    expect(latest().sent.map((f) => f.data.userIds.length)).toEqual([500, 500, 200]);
    expect(latest().sent.flatMap((f) => f.data.userIds)).toEqual(userIds);
    sb.close();
  });

  it('leaving or closing a room stops tracking its seq', async () => {
    const { sb, s } = await connected();
    for (const verb of ['room.join', 'room.close'] as const) {
      const r = sb.request(verb, { roomId: 'r1' } as never);
      await until(() => s.sent.some((f) => f.type === verb));
      s.reply(verb, { seq: 3 });
      await r;
    }
    expect(sb.rooms.has('r1')).toBe(false);
    sb.close();
  });

  it('a failed draining handoff stays on the live socket; the draining server closing later reconnects', async () => {
    const { sb, s } = await connected({ url: ['ws://a.test/ws', 'ws://b.test/ws'], helloTimeoutMs: 20, reconnect: { minDelayMs: 1, maxDelayMs: 2 } });
    s.frame({ type: 'session.draining', data: { reconnectWithinMs: 0 } });
    await until(() => FakeSocket.all.length === 2);
    // b never says hello: the handoff times out and the client keeps using a.
    await until(() => latest().closedWith);
    expect(latest().url).toBe('ws://b.test/ws');
    const r = sb.request('room.join', { roomId: 'r1' });
    await until(() => s.sent.length === 1);
    s.reply('room.join', { seq: 1 });
    await r;
    expect(sb.connected).toBe(true);
    sb.close();
  });

  it('a failed token refresh is retried, and the reconnect after a 4001 fetches a fresh token', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    let n = 0;
    const getToken = vi.fn(async () => {
      n++;
      if (n === 2) throw new Error('auth down');
      return jwt(Math.floor(Date.now() / 1000) + 3);
    });
    const tokens: unknown[] = [];
    const p = connect({ url: 'ws://a.test/ws', getToken, WebSocket: FakeSocket, refreshBeforeMs: 1000, reconnect: { minDelayMs: 1, maxDelayMs: 2 } });
    await until(() => latest()?.onmessage);
    latest().hello();
    const sb = await p;
    sb.on('token', (t) => tokens.push(t));
    const s = latest();
    // Refresh due at 2 s (1 s before expiry): getToken fails, retried 5 s later.
    await vi.advanceTimersByTimeAsync(2_100);
    expect(getToken).toHaveBeenCalledTimes(2);
    expect(s.sent).toEqual([]);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(getToken).toHaveBeenCalledTimes(3);
    await until(() => s.sent.length === 1);
    expect(s.last('session.refresh').data.token).toMatch(/^h\./);
    s.drop(4001);
    await until(() => FakeSocket.all.length === 2);
    expect(getToken).toHaveBeenCalledTimes(4);
    expect(tokens).toHaveLength(1);
    expect(latest().protocols[1]).toBe(`bearer.${await getToken.mock.results[3].value}`);
    sb.close();
  });
});
