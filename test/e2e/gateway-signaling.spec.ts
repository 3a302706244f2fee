import { startGateway } from '@switchboard/gateway/service';
import { startRooms } from '@switchboard/rooms/service';
import type { SwitchboardClient } from '@switchboard/client/node';
import { subjects } from '@switchboard/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Stack, testEnv, uid, until } from '@switchboard/testing/stack';
import { ConnectionRegistry } from '../../services/gateway/src/connections/connection.registry.js';
import { GatewayMetrics } from '../../services/gateway/src/metrics/gateway.metrics.js';
import { Subscriptions } from '../../services/gateway/src/routing/subscriptions.js';
import { SignalingService } from '../../services/gateway/src/signaling/signaling.service.js';

/** Issue 3: P2P signaling and pairing between connections on different gateway replicas. */
describe('signaling and pairing across replicas', () => {
  const stack = new Stack();
  let gw1: Awaited<ReturnType<typeof startGateway>>;
  let gw2: Awaited<ReturnType<typeof startGateway>>;
  /** Trusts at most two (target, room) pairs per connection. */
  let gw3: Awaited<ReturnType<typeof startGateway>>;

  beforeAll(async () => {
    await stack.add(startRooms(testEnv()));
    gw1 = await stack.add(startGateway(testEnv()));
    gw2 = await stack.add(startGateway(testEnv()));
    gw3 = await stack.add(startGateway(testEnv({ SIGNAL_TRUSTED_TARGETS: '2' })));
  });
  afterAll(() => stack.stop());

  async function roomWith(a: SwitchboardClient, ...others: SwitchboardClient[]) {
    const { room } = await a.request('room.create', { name: 'call', kind: 'p2p', joinPolicy: 'open' });
    for (const o of others) await o.request('room.join', { roomId: room.id });
    return room.id as string;
  }

  it('relays offer, answer and ICE between room members on different replicas', async () => {
    const a = await stack.client(gw1, uid('a'));
    const b = await stack.client(gw2, uid('b'));
    const roomId = await roomWith(a, b);
    const offer = { type: 'offer', sdp: 'v=0\r\n...' };
    await a.request('signal', { to: b.hello.connectionId, roomId, kind: 'offer', payload: offer });
    const got = await b.waitFor('signal', (e) => e.data.kind === 'offer');
    expect(got.data).toEqual({ from: a.hello.connectionId, fromUser: a.hello.userId, roomId, kind: 'offer', payload: offer });
    expect(got.seq).toBeUndefined();
    await b.request('signal', { to: a.hello.connectionId, roomId, kind: 'answer', payload: { type: 'answer', sdp: 'x' } });
    for (let i = 0; i < 5; i++) await b.request('signal', { to: a.hello.connectionId, roomId, kind: 'ice', payload: { candidate: `c${i}` } });
    await a.waitFor('signal', (e) => e.data.kind === 'answer');
    const ice = await a.waitFor<{ from: string; payload: { candidate?: string } }>('signal', (e) => e.data.payload?.candidate === 'c4');
    expect(ice.data.from).toBe(b.hello.connectionId);
    const order = a.events.filter((e) => e.type === 'signal' && e.data.kind === 'ice').map((e) => (e.data as { payload: { candidate: string } }).payload.candidate);
    expect(order).toEqual(['c0', 'c1', 'c2', 'c3', 'c4']);
  });

  /** The replica's signals_total by mode (request, published, refused). */
  async function signalCounts(gw: typeof gw1): Promise<Record<string, number>> {
    const { values } = await gw.app.get(GatewayMetrics).signals.get();
    return Object.fromEntries(['request', 'published', 'refused'].map((mode) => [mode, values.find((v) => v.labels.mode === mode)?.value ?? 0]));
  }
  const delta = (after: Record<string, number>, before: Record<string, number>) => Object.fromEntries(Object.keys(after).map((k) => [k, after[k]! - before[k]!]));
  const candidates = (c: SwitchboardClient) => c.events.filter((e) => e.type === 'signal' && e.data.kind === 'ice').map((e) => (e.data as { payload: { candidate: string } }).payload.candidate);

  /** a (gw1) and b (gw2) in a room, and b's replica has accepted an offer from a: b is a trusted target of a. */
  async function offered() {
    const a = await stack.client(gw1, uid('a'));
    const b = await stack.client(gw2, uid('b'));
    const roomId = await roomWith(a, b);
    const to = b.hello.connectionId;
    await a.request('signal', { to, roomId, kind: 'offer', payload: { sdp: 'o' } });
    return { a, b, roomId, to };
  }

  it('publishes candidates to a target that accepted a signal, and reports a later refusal as signal.failed (ADR 0056)', async () => {
    const { a, b, roomId, to } = await offered();
    const before = await signalCounts(gw1);
    for (let i = 0; i < 3; i++) await a.request('signal', { to, roomId, kind: 'ice', payload: { candidate: `c${i}` } });
    await b.waitFor<{ payload: { candidate?: string } }>('signal', (e) => e.data.payload?.candidate === 'c2');
    expect(candidates(b)).toEqual(['c0', 'c1', 'c2']);
    expect(delta(await signalCounts(gw1), before)).toEqual({ request: 0, published: 3, refused: 0 });

    // The target leaves: `signal.ok` (published), then its replica's refusal arrives as an event.
    await b.request('room.leave', { roomId });
    await a.request('signal', { to, roomId, kind: 'ice', payload: { candidate: 'late' } });
    const failed = await a.waitFor('signal.failed');
    expect(failed.data).toEqual({ to, roomId, kind: 'ice', code: 'forbidden', message: 'the target is not in that room or not paired with you' });
    // The pair is no longer trusted: the next candidate waits for the verdict and gets it as its reply.
    await expect(a.request('signal', { to, roomId, kind: 'ice', payload: { candidate: 'later' } })).rejects.toMatchObject({ code: 'forbidden' });
    expect(delta(await signalCounts(gw1), before)).toEqual({ request: 1, published: 4, refused: 1 });
    expect(candidates(b)).toEqual(['c0', 'c1', 'c2']);
    expect(a.events.filter((e) => e.type === 'signal.failed')).toHaveLength(1);
  });

  it('reports a published candidate to a target no replica holds any more as signal.failed not_found', async () => {
    const { a, b, roomId, to } = await offered();
    await b.close();
    // The target's replica has let go of its subject and NATS has seen it (flush: everything before the PONG is processed).
    await until(() => gw2.app.get(Subscriptions).subscribers(subjects.conn(to)) === 0, 'target subject released');
    await gw2.platform.nc.flush();
    await a.request('signal', { to, roomId, kind: 'ice', payload: { candidate: 'c0' } });
    expect((await a.waitFor('signal.failed')).data).toEqual({ to, roomId, kind: 'ice', code: 'not_found', message: 'that connection is not connected' });
    await expect(a.request('signal', { to, roomId, kind: 'ice', payload: { candidate: 'c1' } })).rejects.toMatchObject({ code: 'not_found' });
  });

  it('asks only with the first signal to a target, and trusts at most SIGNAL_TRUSTED_TARGETS pairs per connection', async () => {
    const a = await stack.client(gw3, uid('a'));
    const targets = await Promise.all([1, 2, 3].map((i) => stack.client(gw2, uid(`t${i}`))));
    const roomId = await roomWith(a, ...targets);
    const sender = gw3.app.get(ConnectionRegistry).get(a.hello.connectionId)!;
    const signaling = gw3.app.get(SignalingService);
    for (const t of targets) await a.request('signal', { to: t.hello.connectionId, roomId, kind: 'offer', payload: { sdp: 'o' } });
    // Three targets accepted, two are remembered: the first one fell out.
    expect(signaling.trustedCount(sender)).toBe(2);
    const before = await signalCounts(gw3);
    // The two remembered ones are published; the forgotten one waits for its verdict (and is trusted again after it).
    for (const t of [targets[1]!, targets[2]!, targets[0]!]) await a.request('signal', { to: t.hello.connectionId, roomId, kind: 'ice', payload: { candidate: `to-${t.hello.userId}` } });
    expect(delta(await signalCounts(gw3), before)).toEqual({ request: 1, published: 2, refused: 0 });
    expect(signaling.trustedCount(sender)).toBe(2);
    for (const t of targets) expect((await t.waitFor('signal', (e) => e.data.kind === 'ice')).data.payload).toEqual({ candidate: `to-${t.hello.userId}` });
    // A renegotiation's offer to a trusted target is published like a candidate (ADR 0066); to an untrusted one it asks.
    await a.request('signal', { to: targets[2]!.hello.connectionId, roomId, kind: 'offer', payload: { sdp: 'again' } });
    expect(delta(await signalCounts(gw3), before)).toEqual({ request: 1, published: 3, refused: 0 });
    expect((await targets[2]!.waitFor<{ kind: string; from: string; payload: { sdp?: string } }>('signal', (e) => e.data.kind === 'offer' && e.data.payload?.sdp === 'again')).data.from).toBe(a.hello.connectionId);
    await a.request('signal', { to: targets[1]!.hello.connectionId, roomId, kind: 'bye', payload: {} });
    expect(delta(await signalCounts(gw3), before)).toEqual({ request: 2, published: 3, refused: 0 });
  });

  it('publishes offers, answers and byes to a trusted target too, and reports their refusal with their kind (ADR 0066)', async () => {
    const { a, b, roomId, to } = await offered();
    const before = await signalCounts(gw1);
    // b's first signal to a asks (a is not yet trusted by b); a's renegotiation offer and bye to b are published.
    await b.request('signal', { to: a.hello.connectionId, roomId, kind: 'answer', payload: { sdp: 'a1' } });
    await a.request('signal', { to, roomId, kind: 'offer', payload: { sdp: 'o2' } });
    await a.request('signal', { to, roomId, kind: 'custom', payload: { n: 1 } });
    await b.waitFor('signal', (e) => e.data.kind === 'custom');
    expect(b.events.filter((e) => e.type === 'signal').map((e) => e.data.kind)).toEqual(['offer', 'offer', 'custom']);
    expect((await a.waitFor('signal', (e) => e.data.kind === 'answer')).data.payload).toEqual({ sdp: 'a1' });
    expect(delta(await signalCounts(gw1), before)).toEqual({ request: 0, published: 2, refused: 0 });

    // The target leaves the room: the published offer is answered `signal.ok`, its refusal comes as signal.failed naming the offer.
    await b.request('room.leave', { roomId });
    await a.request('signal', { to, roomId, kind: 'offer', payload: { sdp: 'o3' } });
    expect((await a.waitFor('signal.failed')).data).toEqual({ to, roomId, kind: 'offer', code: 'forbidden', message: 'the target is not in that room or not paired with you' });
    // Trust is gone with the refusal: the next offer gets the verdict as its reply, and nothing reached b.
    await expect(a.request('signal', { to, roomId, kind: 'offer', payload: { sdp: 'o4' } })).rejects.toMatchObject({ code: 'forbidden' });
    expect(delta(await signalCounts(gw1), before)).toEqual({ request: 1, published: 3, refused: 1 });
    expect(b.events.filter((e) => e.type === 'signal').map((e) => e.data.payload)).toEqual([{ sdp: 'o' }, { sdp: 'o2' }, { n: 1 }]);
  });

  it('keeps one sender\'s order through a burst sent without waiting, across published batches and requests (ADR 0067)', async () => {
    // gw3 trusts two pairs per connection: asking the two others makes b fall out now and then, so b's signals mix both paths.
    const a = await stack.client(gw3, uid('a'));
    const b = await stack.client(gw2, uid('b'));
    const others = await Promise.all([1, 2].map((i) => stack.client(gw1, uid(`o${i}`))));
    const roomId = await roomWith(a, b, ...others);
    const to = b.hello.connectionId;
    const sends: Promise<unknown>[] = [];
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 10; i++) sends.push(a.request('signal', { to, roomId, kind: i ? 'ice' : 'offer', payload: { n: round * 10 + i } }));
      for (const o of others) sends.push(a.request('signal', { to: o.hello.connectionId, roomId, kind: 'offer', payload: { round } }));
    }
    await Promise.all(sends);
    await b.waitFor<{ payload: { n?: number } }>('signal', (e) => e.data.payload?.n === 49);
    expect(b.events.filter((e) => e.type === 'signal').map((e) => (e.data as { payload: { n: number } }).payload.n)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(a.events.filter((e) => e.type === 'signal.failed')).toEqual([]);
  });

  it('refuses signals between strangers with forbidden, and to absent connections with not_found', async () => {
    const a = await stack.client(gw1, uid('a'));
    const b = await stack.client(gw2, uid('b'));
    const stranger = await stack.client(gw2, uid('s'));
    const roomId = await roomWith(a, b);
    // Sender not in the room.
    await expect(stranger.request('signal', { to: a.hello.connectionId, roomId, kind: 'offer', payload: {} })).rejects.toMatchObject({ code: 'forbidden' });
    // No room and no pairing.
    await expect(stranger.request('signal', { to: a.hello.connectionId, kind: 'offer', payload: {} })).rejects.toMatchObject({ code: 'forbidden' });
    // Sender in the room, target not: refused by the target's replica.
    await expect(a.request('signal', { to: stranger.hello.connectionId, roomId, kind: 'offer', payload: {} })).rejects.toMatchObject({ code: 'forbidden' });
    await expect(a.request('signal', { to: 'c_nobody', roomId, kind: 'offer', payload: {} })).rejects.toMatchObject({ code: 'not_found' });
    await expect(a.request('signal', { to: a.hello.connectionId, roomId, kind: 'offer', payload: {} })).rejects.toMatchObject({ code: 'bad_request' });
    expect(stranger.events.filter((e) => e.type === 'signal')).toEqual([]);
  });

  it('pairs two connections by code across replicas, after which they may signal without a room', async () => {
    const owner = await stack.client(gw1, uid('owner'));
    const peer = await stack.client(gw2, uid('peer'));
    const { code } = await owner.request('pair.register', { publicKey: 'owner-key' });
    expect(code).toMatch(/^[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{6}$/);
    expect((await owner.request('pair.register', {})).code).toBe(code);
    await peer.request('pair.register', { publicKey: 'peer-key' });

    const { requestId } = await peer.request('pair.request', { code: code.toLowerCase(), message: 'hi' });
    const requested = await owner.waitFor('pair.requested');
    expect(requested.data).toMatchObject({ requestId, from: peer.hello.connectionId, publicKey: 'peer-key', message: 'hi' });
    await expect(peer.request('pair.accept', { requestId })).rejects.toMatchObject({ code: 'not_found' });
    await owner.request('pair.accept', { requestId });
    const accepted = await peer.waitFor('pair.accepted');
    expect(accepted.data).toMatchObject({ requestId, peer: owner.hello.connectionId, publicKey: 'owner-key' });
    await expect(owner.request('pair.accept', { requestId })).rejects.toMatchObject({ code: 'not_found' });

    await peer.request('signal', { to: owner.hello.connectionId, kind: 'offer', payload: { sdp: 'p' } });
    await owner.request('signal', { to: peer.hello.connectionId, kind: 'answer', payload: { sdp: 'o' } });
    expect((await owner.waitFor('signal')).data.payload).toEqual({ sdp: 'p' });
    expect((await peer.waitFor('signal')).data.payload).toEqual({ sdp: 'o' });
  });

  it('delivers rejections, and forgets a code when its connection closes', async () => {
    const owner = await stack.client(gw2, uid('owner'));
    const peer = await stack.client(gw1, uid('peer'));
    const { code } = await owner.request('pair.register');
    const { requestId } = await peer.request('pair.request', { code });
    await owner.waitFor('pair.requested');
    await owner.request('pair.reject', { requestId });
    expect((await peer.waitFor('pair.rejected')).data).toEqual({ requestId });
    await expect(peer.request('signal', { to: owner.hello.connectionId, kind: 'offer', payload: {} })).rejects.toMatchObject({ code: 'forbidden' });
    await expect(peer.request('pair.request', { code: 'ZZZZZZ' })).rejects.toMatchObject({ code: 'not_found' });
    await owner.close();
    await expect(
      (async () => {
        for (let i = 0; i < 50; i++) {
          try {
            await peer.request('pair.request', { code });
          } catch (err) {
            if ((err as { code?: string }).code === 'not_found') throw err;
          }
          await new Promise((r) => setTimeout(r, 50));
        }
      })(),
    ).rejects.toMatchObject({ code: 'not_found' });
  });

  it('hands out codes that are unique across replicas', async () => {
    const clients = await Promise.all(Array.from({ length: 30 }, (_, i) => stack.client(i % 2 ? gw1 : gw2, uid('p'))));
    const codes = await Promise.all(clients.map((c) => c.request('pair.register').then((r) => r.code as string)));
    expect(new Set(codes).size).toBe(codes.length);
  });
});
