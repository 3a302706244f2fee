import { SwitchboardClient } from '@switchboard/client/node';
import { startGateway } from '@switchboard/gateway/service';
import { startRooms } from '@switchboard/rooms/service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Socket } from 'node:net';
import { ConnectionRegistry } from '../../services/gateway/src/connections/connection.registry.js';
import { Stack, testEnv, token, uid, until } from '@switchboard/testing/stack';

/**
 * Issue 10 item 2: a client that stops reading cannot grow a gateway without bound, and
 * `session.resume` cannot be used to make a gateway replay history again and again.
 */
describe('outbound back-pressure and resume limits', () => {
  const stack = new Stack();
  const OUTBOUND_MAX_BYTES = 256 * 1024;
  let gw: Awaited<ReturnType<typeof startGateway>>;
  let gw2: Awaited<ReturnType<typeof startGateway>>;

  beforeAll(async () => {
    await stack.add(startRooms(testEnv({ DISCONNECT_GRACE_MS: '20000' })));
    const limits = { RATE_PER_SEC: '100000', RATE_BURST: '100000', OUTBOUND_MAX_BYTES: String(OUTBOUND_MAX_BYTES), OUTBOUND_CLOSE_GRACE_MS: '200' };
    gw = await stack.add(startGateway(testEnv({ ...limits, RESUME_MAX_EVENTS: '5', RESUME_MAX_BYTES: '4096' })));
    gw2 = await stack.add(startGateway(testEnv(limits)));
    // A cold rooms process on a loaded box may miss the first request's 3 s: the tests start once it answers.
    const warm = await stack.client(gw2);
    await until(() => warm.request('room.list', {}).then(() => true), 'rooms answering', 60_000, 500);
  });
  afterAll(() => stack.stop());

  const metric = async (port: number, name: string, label: string) => {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(label));
    return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
  };

  it('closes a reader that stops reading once its unsent bytes pass the cap, keeping the buffer bounded (slow consumer)', async () => {
    const alice = await stack.client(gw2);
    const { room } = await alice.request('room.create', { name: 'firehose', kind: 'group', joinPolicy: 'open' });
    const slow = await stack.client(gw, uid('slow'));
    await slow.request('room.join', { roomId: room.id });
    const bystander = await stack.client(gw, uid('ok'));
    await bystander.request('room.join', { roomId: room.id });
    const registry = gw.app.get(ConnectionRegistry);
    const serverSide = registry.all().find((c) => c.id === slow.hello.connectionId)!;
    const slowBefore = await metric(gw.httpPort, 'switchboard_gateway_disconnects_total', 'reason="slow_consumer"');

    // The reader stops reading: its kernel buffers fill, then the gateway's own queue grows.
    (slow.ws as unknown as { _socket: Socket })._socket.pause();
    let maxBuffered = 0;
    const pad = 'x'.repeat(15_000); // room.broadcast data is at most 16 KiB
    let sent = 0;
    await until(
      async () => {
        maxBuffered = Math.max(maxBuffered, serverSide.ws.bufferedAmount);
        if (serverSide.closed || !registry.all().includes(serverSide)) return true;
        // Far more than any socket buffers can hold, a few frames at a time.
        if (sent < 20_000) {
          await Promise.all(Array.from({ length: 16 }, () => alice.request('room.broadcast', { roomId: room.id, data: { n: sent++, pad } })));
        }
        return false;
      },
      'the slow reader to be dropped',
      30_000,
      10,
    );
    // Never more than the cap plus the one frame that crossed it.
    expect(maxBuffered).toBeLessThanOrEqual(OUTBOUND_MAX_BYTES + 2 * pad.length);
    await until(async () => (await metric(gw.httpPort, 'switchboard_gateway_disconnects_total', 'reason="slow_consumer"')) === slowBefore + 1, 'the slow_consumer disconnect to be counted');
    // The reader that kept reading got every broadcast and is still connected.
    await until(() => bystander.events.filter((e) => e.type === 'room.broadcast').length === sent, 'the bystander to receive every broadcast', 30_000);
    expect((await bystander.request('ping')).ts).toBeGreaterThan(0);
    (slow.ws as unknown as { _socket: Socket })._socket.resume();
  }, 60_000);

  it('refuses to resume a live session (its own or another connection’s) and resumes at most once per connection', async () => {
    const bobId = uid('bob');
    const alice = await stack.client(gw2);
    const bob = await stack.client(gw2, bobId);
    const { room } = await alice.request('room.create', { name: 'live', kind: 'group', joinPolicy: 'open' });
    const joined = await bob.request('room.join', { roomId: room.id });
    const resume = (c: SwitchboardClient, lastSeq = 0) => c.request('session.resume', { sessionId: bob.hello.sessionId, rooms: { [room.id]: lastSeq } });

    await expect(resume(bob)).rejects.toMatchObject({ code: 'conflict', details: { reason: 'session_live' } });
    // Another connection of the same user, while bob's connection still answers pings.
    const other = await stack.client(gw, bobId);
    await expect(resume(other)).rejects.toMatchObject({ code: 'conflict', details: { reason: 'session_live' } });
    expect((await alice.request('room.get', { roomId: room.id })).participants.map((p: { connectionId: string }) => p.connectionId)).toContain(bob.hello.connectionId);

    await bob.terminate();
    const again = await SwitchboardClient.connect(`ws://127.0.0.1:${gw.httpPort}/ws`, await token(bobId));
    stack.onStop(() => again.close());
    await expect(resume(again, joined.seq)).resolves.toMatchObject({ replayed: expect.any(Number) });
    await expect(resume(again, joined.seq)).rejects.toMatchObject({ code: 'conflict', details: { reason: 'already_resumed' } });
  });

  it('a connection that stops answering pings counts as gone: its session can be resumed', async () => {
    const bobId = uid('bob');
    const alice = await stack.client(gw2);
    const bob = await stack.client(gw2, bobId);
    const { room } = await alice.request('room.create', { name: 'half-open', kind: 'group', joinPolicy: 'open' });
    const joined = await bob.request('room.join', { roomId: room.id });
    // A network drop the gateway has not noticed: the socket is open but nothing comes back.
    (bob.ws as unknown as { _socket: Socket })._socket.pause();
    const again = await SwitchboardClient.connect(`ws://127.0.0.1:${gw.httpPort}/ws`, await token(bobId));
    stack.onStop(() => again.close());
    await again.request('session.resume', { sessionId: bob.hello.sessionId, rooms: { [room.id]: joined.seq } });
    const state = await alice.request('room.get', { roomId: room.id });
    expect(state.participants.filter((p: { userId: string }) => p.userId === bobId).map((p: { connectionId: string }) => p.connectionId)).toEqual([again.hello.connectionId]);
    (bob.ws as unknown as { _socket: Socket })._socket.resume();
  });

  it('bounds a replay in events and bytes: beyond either, the room is refetched (conflict)', async () => {
    const bobId = uid('bob');
    const alice = await stack.client(gw2);
    const bob = await stack.client(gw2, bobId);
    const rooms: string[] = [];
    for (const name of ['many', 'big']) rooms.push((await alice.request('room.create', { name, kind: 'group', joinPolicy: 'open', replayEphemeral: true })).room.id);
    const seqs = await Promise.all(rooms.map(async (roomId) => (await bob.request('room.join', { roomId })).seq as number));
    await bob.terminate();
    // 'many': 8 small events (over RESUME_MAX_EVENTS = 5); 'big': 2 events of 3 KB each (over RESUME_MAX_BYTES = 4096).
    for (let i = 0; i < 8; i++) await alice.request('room.broadcast', { roomId: rooms[0], data: { i } });
    for (let i = 0; i < 2; i++) await alice.request('room.broadcast', { roomId: rooms[1], data: { pad: 'b'.repeat(3000) } });

    const again = await SwitchboardClient.connect(`ws://127.0.0.1:${gw.httpPort}/ws`, await token(bobId));
    stack.onStop(() => again.close());
    const err = await again.request('session.resume', { sessionId: bob.hello.sessionId, rooms: { [rooms[0]!]: seqs[0]!, [rooms[1]!]: seqs[1]! } }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'conflict', details: { rooms: expect.arrayContaining(rooms), replayed: 0 } });
    // Still seated in both, live from now on.
    await alice.request('room.broadcast', { roomId: rooms[0], data: { live: true } });
    await again.waitFor('room.broadcast', (e) => (e.data as { data: { live?: boolean } }).data.live === true);
    expect(again.events.filter((e) => e.type === 'room.broadcast')).toHaveLength(1);
  });
});
