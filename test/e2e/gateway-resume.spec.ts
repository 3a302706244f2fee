import { subjects } from '@switchboard/protocol';
import { jetstreamManager } from '@nats-io/jetstream';
import { SwitchboardClient } from '@switchboard/client/node';
import { startGateway } from '@switchboard/gateway/service';
import { ROOM_EVENTS_STREAM, RoomEventsPublisher } from '@switchboard/platform';
import { startRooms } from '@switchboard/rooms/service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Stack, testEnv, token, uid, until } from '@switchboard/testing/stack';
import { GatewayMetrics } from '../../services/gateway/src/metrics/gateway.metrics.js';
import { RoomTailCache } from '../../services/gateway/src/session/room-tail.cache.js';

/** Issue 3: a client that lost its socket resumes on the other replica with nothing lost or doubled. */
describe('session.resume across replicas', () => {
  const stack = new Stack();
  let gw1: Awaited<ReturnType<typeof startGateway>>;
  let gw2: Awaited<ReturnType<typeof startGateway>>;
  let rooms: Awaited<ReturnType<typeof startRooms>>;

  beforeAll(async () => {
    rooms = await stack.add(startRooms(testEnv({ DISCONNECT_GRACE_MS: '20000' })));
    gw1 = await stack.add(startGateway(testEnv()));
    gw2 = await stack.add(startGateway(testEnv()));
  });
  afterAll(() => stack.stop());

  const seqsOf = (c: SwitchboardClient, roomId: string) => c.events.filter((e) => e.room === roomId && e.seq).map((e) => e.seq!);

  it('replays exactly the missed room events, in order, before live ones', async () => {
    const bobId = uid('bob');
    const alice = await stack.client(gw1, uid('alice'));
    const bob = await stack.client(gw2, bobId);
    const { room } = await alice.request('room.create', { name: 'resume', kind: 'group', joinPolicy: 'open' });
    const joined = await bob.request('room.join', { roomId: room.id });
    const guests = await Promise.all([1, 2].map(() => stack.client(gw1)));
    await guests[0].request('room.join', { roomId: room.id });
    await bob.waitFor('room.participant_joined', (e) => e.room === room.id);
    const lastSeq = Math.max(joined.seq, ...seqsOf(bob, room.id));

    await bob.terminate(); // the network drops: no close handshake
    // Events bob misses: a join, a leave, another join.
    await guests[1].request('room.join', { roomId: room.id });
    await guests[0].request('room.leave', { roomId: room.id });
    const more = await stack.client(gw2);
    await more.request('room.join', { roomId: room.id });
    await alice.waitFor('room.participant_joined', (e) => e.data.participant.connectionId === more.hello.connectionId);
    const missed = seqsOf(alice, room.id).filter((s) => s > lastSeq);
    expect(missed.length).toBeGreaterThanOrEqual(3);

    const again = await SwitchboardClient.connect(`ws://127.0.0.1:${gw1.httpPort}/ws`, await token(bobId));
    stack.onStop(() => again.close());
    const ok = await again.request('session.resume', { sessionId: bob.hello.sessionId, rooms: { [room.id]: lastSeq } });
    // Live events after the resume continue the same sequence.
    await guests[1].request('room.leave', { roomId: room.id });
    await again.waitFor('room.participant_left', (e) => e.data.connectionId === guests[1].hello.connectionId && e.data.reason === 'left' && e.seq! > Math.max(...missed));

    const seen = seqsOf(again, room.id);
    // Replayed: what bob missed, plus the room's notice that his seat moved (published by the resume).
    expect(seen.slice(0, missed.length)).toEqual(missed);
    expect(ok.replayed).toBeGreaterThanOrEqual(missed.length);
    expect(again.events.find((e) => e.type === 'room.participant_updated')?.data).toMatchObject({ previousConnectionId: bob.hello.connectionId, participant: { connectionId: again.hello.connectionId } });
    // Nothing lost, nothing twice: one event per seq from lastSeq + 1 on.
    expect(seen).toEqual(seen.map((_, i) => lastSeq + 1 + i));
    // Bob's seat moved to the new connection: others see him under the new id.
    const state = await alice.request('room.get', { roomId: room.id });
    const bobs = state.participants.filter((p: { userId: string }) => p.userId === bobId);
    expect(bobs.map((p: { connectionId: string }) => p.connectionId)).toEqual([again.hello.connectionId]);
  });

  it('a storm of resumes into the same rooms on one replica: one stream read per room, each client gets exactly what it missed (ADR 0060)', async () => {
    const alice = await stack.client(gw2, uid('alice'));
    const rooms = await Promise.all(['storm-a', 'storm-b'].map(async (name) => (await alice.request('room.create', { name, kind: 'group', joinPolicy: 'open' })).room.id as string));
    const reads = async (source: string) => (await gw1.app.get(GatewayMetrics).resumeHistoryReads.get()).values.find((v) => v.labels.source === source)?.value ?? 0;
    const before = { tail: await reads('tail'), stream: await reads('stream') };
    // Four victims in both rooms, dropped one after another: each missed a different stretch.
    const victims: { id: string; c: SwitchboardClient; last: Record<string, number> }[] = [];
    for (let i = 0; i < 4; i++) {
      const id = uid('victim');
      const c = await stack.client(gw2, id);
      const last: Record<string, number> = {};
      for (const roomId of rooms) last[roomId] = (await c.request('room.join', { roomId })).seq;
      victims.push({ id, c, last });
    }
    for (const v of victims) {
      for (const roomId of rooms) {
        await alice.request('chat.send', { roomId, text: `before ${v.id} drops`, clientMsgId: uid('m') });
        await until(() => seqsOf(v.c, roomId).length > 0 && Math.max(...seqsOf(v.c, roomId)) >= Math.max(...seqsOf(alice, roomId)), 'the victim to see it');
        v.last[roomId] = Math.max(v.last[roomId], ...seqsOf(v.c, roomId));
      }
      await v.c.terminate();
    }
    await Promise.all(rooms.map((roomId) => alice.request('chat.send', { roomId, text: 'after all dropped', clientMsgId: uid('m') })));
    // All at once, on the other replica, each naming both rooms in one request.
    const again = await Promise.all(
      victims.map(async (v) => {
        const c = await SwitchboardClient.connect(`ws://127.0.0.1:${gw1.httpPort}/ws`, await token(v.id));
        stack.onStop(() => c.close());
        await c.request('session.resume', { sessionId: v.c.hello.sessionId, rooms: v.last });
        return c;
      }),
    );
    // One more live event per room, then every victim must hold one contiguous run of seqs per room.
    await Promise.all(rooms.map((roomId) => alice.request('chat.send', { roomId, text: 'live again', clientMsgId: uid('m') })));
    for (const [i, c] of again.entries()) {
      for (const roomId of rooms) {
        await c.waitFor('chat.message', (e) => e.room === roomId && e.data.message.text === 'live again');
        const seen = seqsOf(c, roomId);
        expect(seen).toEqual(seen.map((_, k) => victims[i].last[roomId] + 1 + k));
        expect(c.events.filter((e) => e.room === roomId && e.type === 'chat.message').map((e) => (e.data as { message: { text: string } }).message.text).slice(-2)).toEqual(['after all dropped', 'live again']);
      }
    }
    // 8 room histories replayed, 2 read from the stream (one per room), the rest from the shared tails.
    expect((await reads('stream')) - before.stream).toBe(rooms.length);
    expect((await reads('tail')) - before.tail).toBe(victims.length * rooms.length);
    expect(gw1.app.get(RoomTailCache).stats().rooms).toBeGreaterThanOrEqual(rooms.length);
  });

  it('answers conflict when the missed events are no longer retained', async () => {
    const bobId = uid('bob');
    const alice = await stack.client(gw1);
    const bob = await stack.client(gw2, bobId);
    const { room } = await alice.request('room.create', { name: 'old', kind: 'group', joinPolicy: 'open' });
    const joined = await bob.request('room.join', { roomId: room.id });
    await bob.terminate();
    const guest = await stack.client(gw1);
    await guest.request('room.join', { roomId: room.id });
    // Retention limits dropped this room's history (simulated with a purge of its subject).
    const jsm = await jetstreamManager((await stack.testBus()).nc);
    await jsm.streams.purge(ROOM_EVENTS_STREAM, { filter: subjects.room(room.id) });

    const again = await SwitchboardClient.connect(`ws://127.0.0.1:${gw1.httpPort}/ws`, await token(bobId));
    stack.onStop(() => again.close());
    await expect(again.request('session.resume', { sessionId: bob.hello.sessionId, rooms: { [room.id]: joined.seq } })).rejects.toMatchObject({
      code: 'conflict',
      details: { rooms: [room.id], lost: { [room.id]: { reason: 'history_lost', action: 'refetch' } } },
    });
  });

  it('tells a client whose seat expired to rejoin (distinct from lost history), and the rejoin brings live events back', async () => {
    const bobId = uid('bob');
    const alice = await stack.client(gw1);
    const bob = await stack.client(gw2, bobId);
    // Bob owns the room, so he stays a member without a seat (as after the disconnect grace, without waiting it out).
    const { room } = await bob.request('room.create', { name: 'expired', kind: 'group', joinPolicy: 'open' });
    const joined = await alice.request('room.join', { roomId: room.id });
    await bob.request('room.leave', { roomId: room.id });
    await bob.terminate();
    const again = await SwitchboardClient.connect(`ws://127.0.0.1:${gw1.httpPort}/ws`, await token(bobId));
    stack.onStop(() => again.close());
    await expect(again.request('session.resume', { sessionId: bob.hello.sessionId, rooms: { [room.id]: joined.seq } })).rejects.toMatchObject({
      code: 'conflict',
      details: { rooms: [room.id], lost: { [room.id]: { reason: 'seat_expired', action: 'rejoin' } } },
    });
    await again.request('room.join', { roomId: room.id });
    await alice.request('chat.send', { roomId: room.id, text: 'back?', clientMsgId: uid('m') });
    await again.waitFor('chat.message', (e) => e.room === room.id && e.data.message.text === 'back?');
  });

  it('replays what was addressed only to the old connection and never echoes what excluded it (issue 10 item 6)', async () => {
    const bobId = uid('bob');
    const alice = await stack.client(gw1);
    const bob = await stack.client(gw2, bobId);
    // Broadcasts are replayable only in rooms that opt in (ADR 0009).
    const { room } = await alice.request('room.create', { name: 'addressed', kind: 'group', joinPolicy: 'open', replayEphemeral: true });
    const joined = await bob.request('room.join', { roomId: room.id });
    // Bob's own broadcast excludes his connection: he never learns its seq, so his lastSeq is before it.
    await bob.request('room.broadcast', { roomId: room.id, data: { mine: true } });
    await alice.waitFor('room.broadcast', (e) => e.room === room.id && (e.data.data as { mine?: boolean }).mine === true);
    const lastSeq = Math.max(joined.seq, ...seqsOf(bob, room.id));
    await bob.terminate();
    // An event for bob's old connection alone (as a service targets one connection on the room subject).
    const targeted = await rooms.app.get(RoomEventsPublisher).toRoom(room.id, 'room.broadcast', { from: { userId: 'system', connectionId: 'system' }, data: { forBob: true } }, { onlyConnectionIds: [bob.hello.connectionId] });
    await alice.request('room.broadcast', { roomId: room.id, data: { everyone: true } });

    const again = await SwitchboardClient.connect(`ws://127.0.0.1:${gw1.httpPort}/ws`, await token(bobId));
    stack.onStop(() => again.close());
    await again.request('session.resume', { sessionId: bob.hello.sessionId, rooms: { [room.id]: lastSeq } });
    await again.waitFor('room.broadcast', (e) => (e.data.data as { everyone?: boolean }).everyone === true);
    const broadcasts = again.events.filter((e) => e.type === 'room.broadcast').map((e) => ({ seq: e.seq, data: (e.data as { data: unknown }).data }));
    expect(broadcasts).toEqual([{ seq: targeted, data: { forBob: true } }, { seq: expect.any(Number), data: { everyone: true } }]);
  });

  it('replays nothing from before the seat was taken: a user approved later does not get an earlier broadcast (issue 10 item 5)', async () => {
    const bobId = uid('bob');
    const alice = await stack.client(gw1);
    const bob = await stack.client(gw2, bobId);
    const { room } = await alice.request('room.create', { name: 'approval', kind: 'group', joinPolicy: 'approval', replayEphemeral: true });
    const { requestId } = await bob.request('room.request_join', { roomId: room.id });
    await alice.request('room.broadcast', { roomId: room.id, data: { secret: 'before approval' } });
    await alice.request('room.approve', { roomId: room.id, requestId });
    const joined = await bob.request('room.join', { roomId: room.id });
    await alice.request('room.broadcast', { roomId: room.id, data: { hello: 'after' } });
    await bob.waitFor('room.broadcast', (e) => e.room === room.id);
    await bob.terminate();

    const again = await SwitchboardClient.connect(`ws://127.0.0.1:${gw1.httpPort}/ws`, await token(bobId));
    stack.onStop(() => again.close());
    // A client that claims to have seen nothing (lastSeq 0) still gets nothing older than its seat.
    await again.request('session.resume', { sessionId: bob.hello.sessionId, rooms: { [room.id]: 0 } });
    await again.waitFor('room.participant_updated', (e) => e.room === room.id);
    const replayed = again.events.filter((e) => e.room === room.id);
    // From bob's own join on: the join, the later broadcast, and the notice that his seat moved.
    expect(replayed.map((e) => e.type)).toEqual(['room.participant_joined', 'room.broadcast', 'room.participant_updated']);
    expect(replayed[0]!.seq).toBe(joined.seq);
    expect(JSON.stringify(again.events)).not.toContain('before approval');
  });

  it('replays deleted and edited messages as chat.history shows them, never their original text (issue 10 item 5)', async () => {
    const bobId = uid('bob');
    const alice = await stack.client(gw1);
    const bob = await stack.client(gw2, bobId);
    const { room } = await alice.request('room.create', { name: 'chat', kind: 'group', joinPolicy: 'open' });
    const joined = await bob.request('room.join', { roomId: room.id });
    await bob.terminate();
    const edited = await alice.request('chat.send', { roomId: room.id, text: 'original draft', clientMsgId: uid('c') });
    await alice.request('chat.edit', { roomId: room.id, messageId: edited.message.id, text: 'what I meant' });
    const deleted = await alice.request('chat.send', { roomId: room.id, text: 'password hunter2', clientMsgId: uid('c') });
    await alice.request('chat.delete', { roomId: room.id, messageId: deleted.message.id });
    const history = await alice.request('chat.history', { roomId: room.id });

    const again = await SwitchboardClient.connect(`ws://127.0.0.1:${gw1.httpPort}/ws`, await token(bobId));
    stack.onStop(() => again.close());
    await again.request('session.resume', { sessionId: bob.hello.sessionId, rooms: { [room.id]: joined.seq } });
    await again.waitFor('room.participant_updated', (e) => e.room === room.id);
    const messages = again.events.filter((e) => e.type === 'chat.message').map((e) => (e.data as { message: { id: string; text: string; deleted: boolean } }).message);
    expect(messages.map((m) => [m.id, m.text, m.deleted])).toEqual([
      [edited.message.id, 'what I meant', false],
      [deleted.message.id, '', true],
    ]);
    expect(history.messages.map((m: { text: string }) => m.text)).toEqual(['what I meant', '']);
    expect(again.events.map((e) => e.type).filter((t) => t.startsWith('chat.'))).toEqual(['chat.message', 'chat.edited', 'chat.message', 'chat.deleted']);
    const wire = JSON.stringify(again.events);
    expect(wire).not.toContain('original draft');
    expect(wire).not.toContain('hunter2');
  });

  it('does not let another user resume a session that is not theirs', async () => {
    const alice = await stack.client(gw1);
    const bob = await stack.client(gw2);
    const { room } = await alice.request('room.create', { name: 'mine', kind: 'group', joinPolicy: 'open' });
    const joined = await bob.request('room.join', { roomId: room.id });
    await bob.terminate();
    const mallory = await stack.client(gw1, uid('mallory'));
    await expect(mallory.request('session.resume', { sessionId: bob.hello.sessionId, rooms: { [room.id]: joined.seq } })).rejects.toMatchObject({ code: 'conflict' });
    await until(async () => (await alice.request('room.get', { roomId: room.id })).participants.some((p: { connectionId: string }) => p.connectionId === bob.hello.connectionId), 'bob to keep his seat');
  });
});
