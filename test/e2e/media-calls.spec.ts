import { SwitchboardClient } from '@switchboard/client/node';
import { startGateway } from '@switchboard/gateway/service';
import { startMedia } from '@switchboard/media/service';
import { startPresence } from '@switchboard/presence/service';
import { startRooms } from '@switchboard/rooms/service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, mediaTestEnv, Stack, testEnv, token, uid } from '@switchboard/testing/stack';
import type { LooseJson } from '@switchboard/testing/json';

/**
 * Calls end to end: clients on two gateway replicas, two media replicas, rooms and presence
 * (which turns a closed socket into `sb.sys.conn.gone`), the call log read by the admin API.
 */
describe('calls across gateways and media replicas', () => {
  const stack = new Stack();
  let gw1: Awaited<ReturnType<typeof startGateway>>;
  let gw2: Awaited<ReturnType<typeof startGateway>>;
  const medias: Awaited<ReturnType<typeof startMedia>>[] = [];

  beforeAll(async () => {
    const timers = { DISCONNECT_GRACE_MS: '400', SWEEP_INTERVAL_MS: '50' };
    const rooms = await stack.add(startRooms(testEnv(timers)));
    await stack.add(startPresence(testEnv()));
    const mediaEnv = mediaTestEnv({ ...timers, ROOMS_GRPC_URL: `127.0.0.1:${rooms.grpcPort}`, CALL_RING_TIMEOUT_MS: '1500' });
    const media = await stack.add(startMedia(mediaEnv));
    medias.push(media, await stack.add(startMedia(mediaEnv)));
    const gwEnv = { ROOMS_GRPC_URL: `127.0.0.1:${rooms.grpcPort}`, MEDIA_GRPC_URL: `127.0.0.1:${media.grpcPort}` };
    gw1 = await stack.add(startGateway(testEnv(gwEnv)));
    gw2 = await stack.add(startGateway(testEnv(gwEnv)));
  });
  afterAll(() => stack.stop());

  async function admin(path: string): Promise<{ status: number; body: LooseJson }> {
    const res = await fetch(`http://127.0.0.1:${gw2.httpPort}/admin/v1${path}`, { headers: { 'x-api-key': ADMIN_KEY } });
    return { status: res.status, body: await res.json() };
  }

  async function roomOf(owner: SwitchboardClient, ...others: SwitchboardClient[]): Promise<string> {
    const { room } = await owner.request('room.create', { name: 'call', kind: 'p2p', joinPolicy: 'open' });
    for (const c of others) await c.request('room.join', { roomId: room.id });
    return room.id;
  }

  it('rings every device of the callee on both gateways; an answer stops the others; the admin API shows the call', async () => {
    const bobId = uid('bob');
    const alice = await stack.client(gw1, uid('alice'));
    const bobPhone = await stack.client(gw1, bobId, { claims: { device: 'phone' } });
    const bobLaptop = await stack.client(gw2, bobId, { claims: { device: 'laptop' } });
    const roomId = await roomOf(alice, bobPhone, bobLaptop);

    const { callId } = await alice.request('call.start', { roomId, media: 'video', mode: 'p2p' });
    const rings = await Promise.all([bobPhone, bobLaptop].map((c) => c.waitFor('call.incoming', (e) => e.data.callId === callId)));
    for (const ring of rings) {
      expect(ring.room).toBe(roomId);
      expect(ring.data).toMatchObject({ callId, from: { userId: alice.hello.userId, connectionId: alice.hello.connectionId }, media: 'video', mode: 'p2p', callees: [bobId] });
    }
    expect(rings[0].seq).toBe(rings[1].seq); // one room event, in the room's seq
    expect(alice.events.some((e) => e.type === 'call.incoming')).toBe(false);

    await bobLaptop.request('call.accept', { callId });
    const onPhone = await bobPhone.waitFor('call.accepted', (e) => e.data.callId === callId);
    expect(onPhone.data).toEqual({ callId, userId: bobId, connectionId: bobLaptop.hello.connectionId });
    await alice.waitFor('call.accepted', (e) => e.data.callId === callId);
    await expect(bobPhone.request('call.accept', { callId })).rejects.toMatchObject({ code: 'conflict', details: { reason: 'answered_elsewhere' } });

    // P2P: the two legs signal each other through the room, across gateways
    await alice.request('signal', { to: bobLaptop.hello.connectionId, roomId, kind: 'offer', payload: { sdp: 'v=0' } });
    expect((await bobLaptop.waitFor('signal')).data).toMatchObject({ from: alice.hello.connectionId, kind: 'offer' });

    await alice.request('call.end', { callId });
    for (const c of [bobPhone, bobLaptop, alice]) expect((await c.waitFor('call.ended', (e) => e.data.callId === callId)).data).toEqual({ callId, reason: 'ended', by: alice.hello.userId });

    const listed = await admin(`/calls?roomId=${roomId}`);
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual({
      calls: [
        {
          id: callId, roomId, callerId: alice.hello.userId, mode: 'p2p', media: 'video', startedAt: expect.any(Number), answeredAt: expect.any(Number), endedAt: expect.any(Number),
          endReason: 'ended', outcome: 'completed', endedBy: alice.hello.userId, durationMs: expect.any(Number),
          parties: [
            { userId: bobId, role: 'callee', answeredAt: expect.any(Number), declinedAt: null },
            { userId: alice.hello.userId, role: 'caller', answeredAt: null, declinedAt: null },
          ],
        },
      ],
      nextCursor: null,
    });
    expect((await admin(`/calls/${callId}`)).body.call.id).toBe(callId);
    expect((await admin(`/calls?userId=${bobId}&outcome=completed`)).body.calls.map((c: { id: string }) => c.id)).toEqual([callId]);
    expect((await admin(`/calls?userId=${bobId}&outcome=missed`)).body.calls).toEqual([]);
    expect((await admin('/calls?outcome=lost')).body).toMatchObject({ error: { code: 'bad_request' } });
    expect((await admin('/calls/call_missing')).status).toBe(404);
    const spec = await admin('/openapi.json');
    expect(Object.keys(spec.body.paths)).toEqual(expect.arrayContaining(['/admin/v1/calls', '/admin/v1/calls/{callId}']));
    expect(spec.body.paths['/admin/v1/calls'].get.parameters.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['roomId', 'userId', 'from', 'to', 'outcome', 'cursor', 'limit']));
  });

  it('a callee whose socket closes ends the call for the caller after the grace (reason disconnected)', async () => {
    const alice = await stack.client(gw1, uid('alice'));
    const bob = await stack.client(gw2, uid('bob'));
    const roomId = await roomOf(alice, bob);
    const { callId } = await alice.request('call.start', { roomId, media: 'audio', mode: 'p2p' });
    await bob.waitFor('call.incoming');
    await bob.request('call.accept', { callId });
    await bob.terminate();
    const ended = await alice.waitFor('call.ended', (e) => e.data.callId === callId);
    expect(ended.data).toEqual({ callId, reason: 'disconnected', by: bob.hello.userId });
    expect((await admin(`/calls/${callId}`)).body.call).toMatchObject({ endReason: 'disconnected', outcome: 'completed', endedBy: bob.hello.userId });
  });

  it('a dropped caller that resumes its session on the other gateway keeps its call', async () => {
    const aliceId = uid('alice');
    const alice = await stack.client(gw1, aliceId);
    const bob = await stack.client(gw2, uid('bob'));
    const roomId = await roomOf(alice, bob);
    const { callId } = await alice.request('call.start', { roomId, media: 'audio', mode: 'p2p' });
    await bob.waitFor('call.incoming');
    await bob.request('call.accept', { callId });
    const lastSeq = Math.max(...alice.events.filter((e) => e.room === roomId && e.seq).map((e) => e.seq!));
    await alice.terminate();

    const again = await SwitchboardClient.connect(`ws://127.0.0.1:${gw2.httpPort}/ws`, await token(aliceId));
    stack.onStop(() => again.close());
    await again.request('session.resume', { sessionId: alice.hello.sessionId, rooms: { [roomId]: lastSeq } });
    const moved = await bob.waitFor('call.reconnected', (e) => e.data.callId === callId);
    expect(moved.data).toEqual({ callId, userId: aliceId, connectionId: again.hello.connectionId, previousConnectionId: alice.hello.connectionId });
    // the resumed leg can hang up; had the grace ended the call, this would be not_found
    await again.request('call.end', { callId });
    expect((await bob.waitFor('call.ended', (e) => e.data.callId === callId)).data).toEqual({ callId, reason: 'ended', by: aliceId });
  });

  it('busy callees and ring timeouts reach the clients as the protocol says', async () => {
    const alice = await stack.client(gw1, uid('alice'));
    const bob = await stack.client(gw2, uid('bob'));
    const carol = await stack.client(gw1, uid('carol'));
    const first = await roomOf(alice, bob);
    const second = await roomOf(carol);
    await bob.request('room.join', { roomId: second });
    const { callId } = await alice.request('call.start', { roomId: first, media: 'audio', mode: 'p2p' });
    await bob.request('call.accept', { callId });
    await expect(carol.request('call.start', { roomId: second, media: 'audio', mode: 'p2p' })).rejects.toMatchObject({ code: 'conflict', details: { reason: 'busy' } });
    await alice.request('call.end', { callId });

    const ring = await carol.request('call.start', { roomId: second, media: 'audio', mode: 'p2p' });
    await bob.waitFor('call.incoming', (e) => e.data.callId === ring.callId);
    const ended = await carol.waitFor('call.ended', (e) => e.data.callId === ring.callId);
    expect(ended.data).toEqual({ callId: ring.callId, reason: 'timeout' });
    expect((await bob.waitFor('call.ended', (e) => e.data.callId === ring.callId)).seq).toBe(ended.seq);
    await expect(carol.request('call.start', { roomId: second, media: 'video', mode: 'sfu' })).rejects.toMatchObject({ code: 'unavailable' });
  });

  it('exports calls by outcome and ring time on /metrics (summed over the media replicas)', async () => {
    const sum = async (pattern: RegExp) => {
      let total = 0;
      for (const m of medias) {
        const text = await (await fetch(`http://127.0.0.1:${m.httpPort}/metrics`)).text();
        for (const line of text.split('\n')) if (pattern.test(line)) total += Number(line.split(' ').pop());
      }
      return total;
    };
    // the earlier tests: completed calls (hung up, disconnected, resumed then ended) and one missed
    expect(await sum(/^switchboard_calls_ended_total\{.*outcome="completed"/)).toBeGreaterThanOrEqual(4);
    expect(await sum(/^switchboard_calls_ended_total\{.*outcome="missed".*reason="timeout"/)).toBe(1);
    expect(await sum(/^switchboard_call_ring_seconds_count\{.*result="answered"/)).toBeGreaterThanOrEqual(4);
    expect(await sum(/^switchboard_call_ring_seconds_count\{.*result="timeout"/)).toBe(1);
    expect(await sum(/^switchboard_calls_refused_total\{.*reason="busy"/)).toBe(1);
  });
});
