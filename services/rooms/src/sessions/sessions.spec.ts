import { ROOMS_RESUME_BATCH_MAX, ROOMS_RESUME_BATCH_MAX_ROOMS, subjects } from '@switchboard/protocol';
import { serviceCaller, type Caller } from '@switchboard/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RoomsHarness } from '../testing/harness.test.js';

describe('disconnects and session resume', () => {
  let h: RoomsHarness;
  beforeAll(async () => {
    // 300 ms grace (shorter than the 1.5 s floor lease), swept every 50 ms
    h = await RoomsHarness.start(2);
  });
  afterAll(() => h.stop());

  const gone = (c: Caller, data: Record<string, unknown> = {}) =>
    h.bus.publish('sb.sys.conn.gone', { type: 'conn.gone', data: { connectionId: c.connectionId, userId: c.userId, sessionId: c.sessionId, nodeId: c.nodeId, reason: 'closed', ...data } });

  it('a vanished connection leaves every room with reason disconnected after the grace, and loses the floor', async () => {
    const a = await h.room();
    const b = await h.room();
    const bob = h.caller();
    await h.req('room.join', bob, { roomId: a.roomId });
    await h.req('room.join', bob, { roomId: b.roomId });
    await h.req('floor.request', bob, { roomId: a.roomId });
    const log = await h.watch(subjects.room(a.roomId), subjects.room(b.roomId));
    gone(bob);
    await h.waitUntil(() => log.of('room.participant_left').length === 2);
    for (const roomId of [a.roomId, b.roomId]) {
      expect(log.of('room.participant_left', (e) => e.roomId === roomId)[0].data).toEqual({ userId: bob.userId, connectionId: bob.connectionId, reason: 'disconnected' });
    }
    expect((await log.waitFor('floor.released')).data).toMatchObject({ userId: bob.userId, reason: 'disconnected' });
    expect(log.of('room.participant_left')).toHaveLength(2); // one replica handled it
    expect((await h.req('room.get', a.owner, { roomId: a.roomId })).participants.map((p: { userId: string }) => p.userId)).toEqual([a.owner.userId]);
    // membership survives a disconnect (only explicit leave, kick or ban end it)
    expect(await h.code('chat.send', h.caller(bob.userId), { roomId: a.roomId, text: 'back', clientMsgId: 'x' })).toBe('ok');
  });

  it('session.resume moves the seat to the new connection, keeps the floor, and the removal of the old connection then finds nothing to remove', async () => {
    const { roomId, owner } = await h.room();
    const bob = h.caller();
    const joined = await h.req('room.join', bob, { roomId });
    const held = await h.req('floor.request', bob, { roomId });
    // Carol vanishes right after Bob and does not resume: her removal proves the grace has run out for Bob too.
    const carol = h.caller();
    await h.req('room.join', carol, { roomId });
    const log = await h.watchRoom(roomId);
    gone(bob);
    gone(carol);
    const fresh = h.caller(bob.userId, { sessionId: 'new-session' });
    const res = await h.req('session.resume', fresh, { sessionId: bob.sessionId, rooms: { [roomId]: 2, r_unknown: 0 } });
    const updated = await log.waitFor('room.participant_updated');
    expect(updated.data).toMatchObject({ previousConnectionId: bob.connectionId, participant: { userId: bob.userId, connectionId: fresh.connectionId } });
    expect(res.rooms).toEqual({ [roomId]: { status: 'resumed', seq: updated.seq, previousConnectionId: bob.connectionId, joinSeq: joined.seq - 1 }, r_unknown: { status: 'gone', seq: 0, reason: 'room_closed' } });
    // well past the grace (Carol's removal was swept): Bob is still present on the new connection, still holding the floor
    await log.waitFor('room.participant_left', (e) => e.data.userId === carol.userId);
    expect(log.of('room.participant_left', (e) => e.data.userId === bob.userId)).toHaveLength(0);
    const after = await h.req('room.join', h.caller(), { roomId });
    await h.waitUntil(async () => (await h.req('room.get', owner, { roomId })).participants.length === 3);
    expect(after.participants.find((p: { userId: string }) => p.userId === bob.userId).connectionId).toBe(fresh.connectionId);
    // The floor moved with the seat, under a new talk (a talk is one connection's: the old one ended with it).
    const refreshed = await h.req('floor.request', fresh, { roomId });
    expect(refreshed.talkId).not.toBe(held.talkId);
    expect(await h.code('floor.release', fresh, { roomId })).toBe('ok');
    gone({ ...bob, connectionId: 'c_unrelated' });
    await h.waitUntil(() => log.of('floor.released').length === 1);
    // The lease was the new connection's already (moved in the resume's script): asking refreshed it,
    // no new grant. Events of one room arrive in order, so a floor.taken would be here by now.
    expect(log.of('floor.taken')).toHaveLength(0);
    expect(log.of('room.participant_left').map((e) => e.data.userId)).toEqual([carol.userId]);
  });

  it('resume refuses to take over another user entry, and reports gone after the grace', async () => {
    const { roomId } = await h.room();
    const bob = await h.joined(roomId);
    const mallory = h.caller();
    const stolen = await h.req('session.resume', mallory, { sessionId: bob.sessionId, rooms: { [roomId]: 0 } });
    expect(stolen.rooms[roomId]).toMatchObject({ status: 'gone', reason: 'not_member' });
    const log = await h.watchRoom(roomId);
    gone(bob);
    await log.waitFor('room.participant_left');
    const late = await h.req('session.resume', h.caller(bob.userId), { sessionId: bob.sessionId, rooms: { [roomId]: 0 } });
    // Still a member, only the seat is gone: the client is told to rejoin.
    expect(late.rooms[roomId]).toEqual({ status: 'gone', seq: log.of('room.participant_left')[0].seq, reason: 'seat_expired' });
  });

  it("session.resume_batch (one gateway turn's resumes) answers each entry as its own session.resume; a failing entry fails no other", async () => {
    const { roomId } = await h.room();
    const other = await h.room();
    const bob = h.caller();
    const joined = await h.req('room.join', bob, { roomId });
    const carol = await h.joined(roomId);
    const dave = h.caller();
    await h.req('room.join', dave, { roomId: other.roomId });
    const log = await h.watch(subjects.room(roomId), subjects.room(other.roomId));
    gone(bob);
    gone(dave);
    const gw = serviceCaller('gateway', 'gw-test');
    const fresh = (c: Caller) => ({ userId: c.userId, connectionId: h.caller().connectionId });
    const bobNew = fresh(bob);
    const daveNew = fresh(dave);
    const reply = await h.req('session.resume_batch', gw, {
      resumes: [
        { ...bobNew, sessionId: bob.sessionId, rooms: { [roomId]: 0 } },
        // Carol's own connection resuming her live session: session_live, for this entry only.
        { userId: carol.userId, connectionId: carol.connectionId, sessionId: carol.sessionId, rooms: { [roomId]: 0 } },
        // Someone else's session: nothing of theirs moves.
        { ...fresh(h.caller()), sessionId: bob.sessionId, rooms: { [roomId]: 0 } },
        { ...daveNew, sessionId: dave.sessionId, rooms: { [other.roomId]: 0, r_unknown: 0 } },
      ],
    });
    await h.waitUntil(() => log.of('room.participant_updated').length === 2);
    const updated = (userId: string) => log.of('room.participant_updated', (e) => (e.data as { participant: { userId: string } }).participant.userId === userId)[0];
    expect(updated(bob.userId).data).toMatchObject({ previousConnectionId: bob.connectionId, participant: { connectionId: bobNew.connectionId } });
    expect(updated(dave.userId).data).toMatchObject({ previousConnectionId: dave.connectionId, participant: { connectionId: daveNew.connectionId } });
    expect(reply.results).toEqual([
      { ok: { rooms: { [roomId]: { status: 'resumed', seq: updated(bob.userId).seq, previousConnectionId: bob.connectionId, joinSeq: joined.seq - 1 } } } },
      { error: { code: 'conflict', message: expect.any(String), details: { reason: 'session_live' } } },
      // (its seq is the room's when it looked: before or after Bob's move in the same batch)
      { ok: { rooms: { [roomId]: { status: 'gone', seq: expect.any(Number), reason: 'not_member' } } } },
      { ok: { rooms: { [other.roomId]: expect.objectContaining({ status: 'resumed', seq: updated(dave.userId).seq }), r_unknown: { status: 'gone', seq: 0, reason: 'room_closed' } } } },
    ]);
    // Limits: entries and rooms in all; an empty batch.
    const entry = (rooms: Record<string, number>) => ({ ...fresh(h.caller()), sessionId: 's', rooms });
    expect(await h.code('session.resume_batch', gw, { resumes: [] })).toBe('bad_request');
    expect(await h.code('session.resume_batch', gw, { resumes: Array.from({ length: ROOMS_RESUME_BATCH_MAX + 1 }, () => entry({})) })).toBe('bad_request');
    const hundred = (k: number) => Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`r_${k}_${i}`, 0]));
    const overRooms = Array.from({ length: ROOMS_RESUME_BATCH_MAX_ROOMS / 100 + 1 }, (_, k) => entry(hundred(k)));
    expect(await h.code('session.resume_batch', gw, { resumes: overRooms })).toBe('bad_request');
  });

  it('ignores malformed conn.gone notices and keeps serving', async () => {
    h.bus.nc.publish('sb.sys.conn.gone', new Uint8Array([1, 2, 3, 250]));
    h.bus.publish('sb.sys.conn.gone', { type: 'conn.gone', data: { connectionId: 'a.b' } });
    h.bus.publish('sb.sys.conn.gone', { type: 'conn.gone', data: 'nope' });
    expect(await h.code('room.create', h.caller(), { name: 'still', kind: 'group', joinPolicy: 'open' })).toBe('ok');
  });
});
