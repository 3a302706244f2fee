import { callUnary, grpcClient, serviceCaller, type Caller } from '@switchboard/platform';
import { media } from '@switchboard/proto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SfuAccess, type SfuGrant } from '../sfu/sfu.access.js';
import { GRPC_SECRET, MediaHarness, MEDIA_TIMERS, uid } from '../testing/harness.test.js';
import { slot } from '@switchboard/testing/slot';

describe('calls', () => {
  let h: MediaHarness;
  let grpc: media.MediaServiceClient;
  beforeAll(async () => {
    // 2.5 s ring timeout, 300 ms disconnect grace, sweeps every 50 ms; two media replicas
    h = await MediaHarness.start(2);
    grpc = grpcClient(media.MediaServiceClient, `127.0.0.1:${h.media[1].grpcPort}`, GRPC_SECRET);
  });
  afterAll(async () => {
    grpc.close();
    await h.stop();
  });

  const callLog = (callId: string) => callUnary(grpc, grpc.getCall, { callId }, 5000).then((r) => r.call!);
  const start = (c: Caller, roomId: string, mode = 'p2p') => h.req<{ callId: string; sfu?: unknown }>('call.start', c, { roomId, media: 'video', mode });

  it('rings the other participants with a room event in seq order; an answer on one device settles the others; hang-up ends it and completes the log row', async () => {
    const { roomId, owner } = await h.roomWith(0);
    const bob = await h.rooms.joined(roomId);
    const bobPhone = await h.rooms.joined(roomId, bob.userId);
    const log = await h.rooms.watchRoom(roomId);

    const { callId } = await start(owner, roomId);
    const incoming = await log.waitFor('call.incoming');
    expect(incoming.data).toMatchObject({ callId, from: { userId: owner.userId, connectionId: owner.connectionId }, media: 'video', mode: 'p2p', callees: [bob.userId] });
    expect(incoming.seq).toBeGreaterThan(0);
    expect(incoming.excludeConnectionId).toBe(owner.connectionId);

    expect(await h.req('call.accept', bob, { callId })).toEqual({ callId });
    const accepted = await log.waitFor('call.accepted');
    expect(accepted.data).toEqual({ callId, userId: bob.userId, connectionId: bob.connectionId });
    expect(accepted.seq).toBeGreaterThan(incoming.seq);
    // the same user on another device cannot answer again; the same device may (idempotent)
    expect((await h.error('call.accept', bobPhone, { callId })).details).toEqual({ reason: 'answered_elsewhere' });
    expect(await h.req('call.accept', bob, { callId })).toEqual({ callId });
    expect(log.of('call.accepted')).toHaveLength(1);

    await h.req('call.end', bob, { callId });
    const ended = await log.waitFor('call.ended');
    expect(ended.data).toEqual({ callId, reason: 'ended', by: bob.userId });
    expect(await h.code('call.end', owner, { callId })).toBe('not_found');
    const row = await callLog(callId);
    expect(row).toMatchObject({ id: callId, roomId, callerId: owner.userId, mode: 'p2p', media: 'video', endReason: 'ended', outcome: 'completed', endedBy: bob.userId });
    expect(row.answeredAt).toBeGreaterThanOrEqual(row.startedAt);
    expect(row.endedAt).toBeGreaterThanOrEqual(row.answeredAt);
    expect(row.durationMs).toBe(row.endedAt - row.answeredAt);
    expect(row.parties.map((p) => [p.userId, p.role, p.answeredAt > 0])).toEqual([
      [bob.userId, 'callee', true],
      [owner.userId, 'caller', false],
    ]);
    // the room is free again
    expect(await h.code('call.start', owner, { roomId, media: 'audio', mode: 'p2p' })).toBe('ok');
  });

  // These two wait out a ring timeout each, in rooms of their own: run together, they wait it
  // out once (issue 12, ADR 0103).
  it.concurrent('ends a call nobody answers with reason timeout (ring timeout) and logs it as missed', async () => {
    const { roomId, owner } = await h.roomWith(1);
    const log = await h.rooms.watchRoom(roomId);
    const { callId } = await start(owner, roomId);
    const ended = await log.waitFor('call.ended', () => true, Number(MEDIA_TIMERS.CALL_RING_TIMEOUT_MS) + 5000);
    expect(ended.data).toEqual({ callId, reason: 'timeout' });
    expect(log.of('call.ended')).toHaveLength(1); // one of the two sweeping replicas ended it
    await h.rooms.waitUntil(async () => (await callLog(callId)).outcome === 'missed');
    expect(await callLog(callId)).toMatchObject({ endReason: 'timeout', answeredAt: 0, durationMs: 0 });
  });

  it.concurrent('a call whose ring timer was lost (its replica died mid-sweep) ends on first sight instead of holding its room', async () => {
    const { roomId, owner } = await h.roomWith(1);
    const log = await h.rooms.watchRoom(roomId);
    const { callId } = await start(owner, roomId);
    // what a replica dying between claiming the timer and acting on it leaves behind
    await h.media[0].platform.redis!.zrem('sb:media:calls:deadlines', callId);
    // a call started later times out, so the orphan's deadline has passed too, but nobody ended it
    const sentinel = await h.roomWith(1);
    const logS = await h.rooms.watchRoom(sentinel.roomId);
    await start(sentinel.owner, sentinel.roomId);
    await logS.waitFor('call.ended', () => true, Number(MEDIA_TIMERS.CALL_RING_TIMEOUT_MS) + 5000);
    expect(log.of('call.ended')).toHaveLength(0);
    // the next command that meets it ends it, and the room is free
    expect(await h.code('call.start', owner, { roomId, media: 'audio', mode: 'p2p' })).toBe('ok');
    expect((await log.waitFor('call.ended')).data).toEqual({ callId, reason: 'timeout' });
    expect(await h.code('call.accept', h.caller(), { callId })).toBe('not_found');
  });

  it('a 1:1 decline ends the call with reason declined; in a group call the call rings on until every callee declined', async () => {
    const one = await h.roomWith(1);
    const log1 = await h.rooms.watchRoom(one.roomId);
    const { callId } = await start(one.owner, one.roomId);
    await h.req('call.decline', one.members[0], { callId });
    expect((await log1.waitFor('call.declined')).data).toEqual({ callId, userId: one.members[0].userId });
    expect((await log1.waitFor('call.ended')).data).toEqual({ callId, reason: 'declined' });
    await h.rooms.waitUntil(async () => (await callLog(callId)).outcome === 'declined');
    expect((await callLog(callId)).parties.find((p) => p.role === 'callee')!.declinedAt).toBeGreaterThan(0);

    const group = await h.roomWith(2);
    const log2 = await h.rooms.watchRoom(group.roomId);
    const call = await start(group.owner, group.roomId);
    await h.req('call.decline', group.members[0], call);
    await h.req('call.decline', group.members[0], call); // a repeat changes nothing
    await log2.waitFor('call.declined');
    expect(await h.code('call.accept', h.caller(), call)).toBe('forbidden'); // not called
    expect(log2.of('call.ended')).toHaveLength(0);
    await h.req('call.decline', group.members[1], call);
    expect((await log2.waitFor('call.ended')).data).toEqual({ callId: call.callId, reason: 'declined' });
    expect(log2.of('call.declined')).toHaveLength(2);
  });

  it('refuses a busy callee with conflict {reason:"busy"}, rings only the free ones, and keeps one call per room and per caller', async () => {
    const busyRoom = await h.roomWith(1);
    const bob = busyRoom.members[0];
    const { callId } = await start(busyRoom.owner, busyRoom.roomId);
    // bob is rung in another room too, before he answers the first call
    const fourth = await h.roomWith(0);
    await h.rooms.joined(fourth.roomId, bob.userId);
    const ring4 = await start(fourth.owner, fourth.roomId);
    await h.req('call.accept', bob, { callId });
    // ...and cannot answer that one now: asked at once, while it still rings (its 2.5 s ring
    // timeout outlasted the steps below only on a quiet machine)
    expect(await h.error('call.accept', bob, ring4)).toMatchObject({ code: 'conflict', details: { reason: 'busy' } });

    // bob is in a call: calling only him is refused before anything rings
    const other = await h.roomWith(0);
    await h.rooms.joined(other.roomId, bob.userId);
    const log = await h.rooms.watchRoom(other.roomId);
    expect(await h.error('call.start', other.owner, { roomId: other.roomId, media: 'audio', mode: 'p2p' })).toMatchObject({ code: 'conflict', details: { reason: 'busy', userIds: [bob.userId] } });
    // with a free participant too, only that one is rung
    const dave = await h.rooms.joined(other.roomId);
    const ringing = await start(other.owner, other.roomId);
    expect((await log.waitFor('call.incoming')).data.callees).toEqual([dave.userId]);
    // a room has one call at a time; a user in a call cannot start another
    expect(await h.error('call.start', dave, { roomId: other.roomId, media: 'audio', mode: 'p2p' })).toMatchObject({ code: 'conflict', details: { reason: 'in_progress', callId: ringing.callId } });
    const third = await h.roomWith(0);
    await h.rooms.joined(third.roomId, bob.userId);
    await h.rooms.joined(third.roomId);
    expect(await h.error('call.start', bob, { roomId: third.roomId, media: 'audio', mode: 'p2p' })).toMatchObject({ code: 'conflict', details: { reason: 'busy' } });
    // alone in a room there is nobody to call
    expect(await h.error('call.start', h.caller(), { roomId: (await h.rooms.room()).roomId, media: 'audio', mode: 'p2p' })).toMatchObject({ code: 'forbidden' });
    const alone = await h.rooms.room();
    expect(await h.error('call.start', alone.owner, { roomId: alone.roomId, media: 'audio', mode: 'p2p' })).toMatchObject({ code: 'conflict', details: { reason: 'no_callee' } });
  });

  it('only members of the room may start, accept or decline; only the caller or an answerer may end', async () => {
    const { roomId, owner, members } = await h.roomWith(1);
    expect(await h.code('call.start', h.caller(), { roomId, media: 'audio', mode: 'p2p' })).toBe('forbidden');
    expect(await h.code('call.start', owner, { roomId: 'r_missing', media: 'audio', mode: 'p2p' })).toBe('not_found');
    expect(await h.code('call.start', owner, { roomId: 'a.b', media: 'audio', mode: 'p2p' })).toBe('bad_request');
    expect(await h.code('call.accept', owner, { callId: 'call_missing' })).toBe('not_found');
    const { callId } = await start(owner, roomId);
    expect(await h.code('call.accept', owner, { callId })).toBe('forbidden'); // own call
    expect(await h.code('call.decline', owner, { callId })).toBe('forbidden');
    expect(await h.code('call.end', members[0], { callId })).toBe('forbidden'); // not answered yet: decline
    expect(await h.code('call.end', h.caller(), { callId })).toBe('forbidden');
    // a callee kicked from the room meanwhile may not answer
    await h.rooms.req('room.kick', owner, { roomId, userId: members[0].userId });
    expect(await h.code('call.accept', members[0], { callId })).toBe('forbidden');
    // the caller's other device may hang up
    expect(await h.code('call.end', h.caller(owner.userId), { callId })).toBe('ok');
  });

  it('a leg whose connection vanishes ends the call with reason disconnected after the grace; a resumed session keeps its call', async () => {
    const a = await h.roomWith(1);
    const logA = await h.rooms.watchRoom(a.roomId);
    const callA = await start(a.owner, a.roomId);
    await h.req('call.accept', a.members[0], callA);
    h.gone(a.members[0]);
    expect((await logA.waitFor('call.ended')).data).toEqual({ callId: callA.callId, reason: 'disconnected', by: a.members[0].userId });
    await h.rooms.waitUntil(async () => (await callLog(callA.callId)).endReason === 'disconnected');
    expect((await callLog(callA.callId)).outcome).toBe('completed');

    // the caller drops while ringing, but resumes its session on a new connection within the grace
    const b = await h.roomWith(1);
    const logB = await h.rooms.watchRoom(b.roomId);
    const callB = await start(b.owner, b.roomId);
    h.gone(b.owner);
    const fresh = h.caller(b.owner.userId, { sessionId: 'another-session' });
    expect(await h.req('session.resume', fresh, { sessionId: b.owner.sessionId, rooms: { [b.roomId]: 0 } })).toEqual({ calls: [callB.callId] });
    expect((await logB.waitFor('call.reconnected')).data).toEqual({ callId: callB.callId, userId: b.owner.userId, connectionId: fresh.connectionId, previousConnectionId: b.owner.connectionId });
    // someone else's session id moves nothing
    expect(await h.req('session.resume', h.caller(), { sessionId: b.owner.sessionId, rooms: {} })).toEqual({ calls: [] });
    await h.req('call.accept', b.members[0], callB);
    await logB.waitFor('call.accepted');
    // A sentinel leg vanishing after the old connection: once its call ended, the old
    // connection's grace was over too (timers are claimed in due order), yet call B is up.
    const sentinel = await h.roomWith(1);
    const logS = await h.rooms.watchRoom(sentinel.roomId);
    await h.req('call.start', sentinel.owner, { roomId: sentinel.roomId, media: 'audio', mode: 'p2p' });
    h.gone(sentinel.owner);
    await logS.waitFor('call.ended');
    expect(logB.of('call.ended')).toHaveLength(0);
    const stillUp = await h.roomWith(1);
    await h.rooms.joined(stillUp.roomId, b.owner.userId);
    expect(await h.error('call.start', fresh, { roomId: stillUp.roomId, media: 'audio', mode: 'p2p' })).toMatchObject({ details: { reason: 'busy' } });
    // it ends when the new connection goes
    h.gone(fresh);
    expect((await logB.waitFor('call.ended')).data).toEqual({ callId: callB.callId, reason: 'disconnected', by: b.owner.userId });
  });

  it("session.resume_batch (one gateway tick's resumes) moves each entry's leg like session.resume; the others answer none", async () => {
    const a = await h.roomWith(1);
    const logA = await h.rooms.watchRoom(a.roomId);
    const call = await start(a.owner, a.roomId);
    h.gone(a.owner);
    const fresh = h.caller(a.owner.userId, { sessionId: 'another-session' });
    const idle = h.caller();
    const entry = (c: Caller, sessionId: string) => ({ sessionId, userId: c.userId, connectionId: c.connectionId });
    const reply = await h.req('session.resume_batch', serviceCaller('gateway', 'gw-test'), {
      // no call at all; another user naming the caller's session (matched on the user too); the resumed leg
      resumes: [entry(idle, idle.sessionId), entry(h.caller(), a.owner.sessionId), entry(fresh, a.owner.sessionId)],
    });
    expect(reply).toEqual({ calls: [[], [], [call.callId]] });
    expect((await logA.waitFor('call.reconnected')).data).toEqual({ callId: call.callId, userId: a.owner.userId, connectionId: fresh.connectionId, previousConnectionId: a.owner.connectionId });
    expect(await h.code('session.resume_batch', serviceCaller('gateway', 'gw-test'), { resumes: [] })).toBe('bad_request');
  });

  it('two devices answering at once on two replicas: exactly one wins', async () => {
    for (let round = 0; round < 5; round++) {
      const { roomId, owner } = await h.roomWith(0);
      const bob = await h.rooms.joined(roomId);
      const bobPhone = await h.rooms.joined(roomId, bob.userId);
      const { callId } = await start(owner, roomId);
      const codes = await Promise.all([h.code('call.accept', bob, { callId }), h.code('call.accept', bobPhone, { callId })]);
      expect(codes.sort()).toEqual(['conflict', 'ok']);
      await h.req('call.end', owner, { callId });
    }
  });

  it('SFU mode without an SFU answers unavailable and leaves no call behind', async () => {
    const { roomId, owner } = await h.roomWith(1);
    expect(await h.error('call.start', owner, { roomId, media: 'video', mode: 'sfu' })).toMatchObject({ code: 'unavailable' });
    expect(await h.code('call.start', owner, { roomId, media: 'video', mode: 'p2p' })).toBe('ok');
  });

  it('prunes ended calls past CALL_LOG_RETENTION_DAYS (90) from the log, keeps live and recent ones', async () => {
    const db = new pg.Client({ connectionString: slot().mediaDatabaseUrl });
    await db.connect();
    try {
      const day = 24 * 3600_000;
      const rows = { old: [uid('call'), 100 * day, true], oldLive: [uid('call'), 100 * day, false], recent: [uid('call'), 80 * day, true] } as const;
      for (const [id, age, ended] of Object.values(rows)) {
        const at = new Date(Date.now() - age);
        await db.query(`INSERT INTO calls (id, room_id, caller_id, mode, media, started_at, ended_at) VALUES ($1, 'r_old', 'u_old', 'p2p', 'audio', $2, $3)`, [id, at, ended ? at : null]);
        await db.query(`INSERT INTO call_parties (call_id, user_id, role) VALUES ($1, 'u_old', 'caller')`, [id]);
      }
      await h.rooms.waitUntil(async () => (await db.query('SELECT 1 FROM calls WHERE id = $1', [rows.old[0]])).rowCount === 0);
      expect((await db.query('SELECT count(*)::int AS n FROM call_parties WHERE call_id = $1', [rows.old[0]])).rows[0].n).toBe(0);
      expect((await db.query('SELECT id FROM calls WHERE id = ANY($1) ORDER BY id', [[rows.oldLive[0], rows.recent[0]]])).rows.map((r) => r.id)).toEqual([rows.oldLive[0], rows.recent[0]].sort());
    } finally {
      await db.end();
    }
  });

  it('lists the call log over gRPC with filters (room, user, time range, outcome) and cursor paging', async () => {
    const { roomId, owner, members } = await h.roomWith(1);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { callId } = await start(owner, roomId);
      ids.push(callId);
      await h.req('call.decline', members[0], { callId });
      await h.rooms.waitUntil(async () => (await callLog(callId)).outcome === 'declined');
    }
    const list = (req: Partial<media.ListCallsRequest>) => callUnary(grpc, grpc.listCalls, { roomId: '', userId: '', startedAfter: 0, startedBefore: 0, outcome: '', cursor: '', limit: 0, ...req }, 5000);
    const page1 = await list({ roomId, limit: 2 });
    expect(page1.calls.map((c) => c.id)).toEqual([ids[2], ids[1]]);
    const page2 = await list({ roomId, limit: 2, cursor: page1.nextCursor });
    expect(page2.calls.map((c) => c.id)).toEqual([ids[0]]);
    expect(page2.nextCursor).toBe('');
    expect((await list({ userId: members[0].userId })).calls.map((c) => c.id)).toEqual([ids[2], ids[1], ids[0]]);
    expect((await list({ roomId, outcome: 'completed' })).calls).toEqual([]);
    expect((await list({ roomId, outcome: 'declined', startedAfter: (await callLog(ids[1])).startedAt })).calls.map((c) => c.id)).toEqual([ids[2], ids[1]]);
    expect((await list({ roomId, startedBefore: (await callLog(ids[1])).startedAt })).calls.map((c) => c.id)).toEqual([ids[0]]);
    const ongoing = await start(owner, roomId);
    expect((await list({ roomId, outcome: 'ongoing' })).calls.map((c) => c.id)).toEqual([ongoing.callId]);
    await expect(list({ outcome: 'great' })).rejects.toMatchObject({ code: 'bad_request' });
    await expect(list({ cursor: 'bm90LWEtY3Vyc29y' })).rejects.toMatchObject({ code: 'bad_request' });
    await expect(list({ roomId: 'a.b' })).rejects.toMatchObject({ code: 'bad_request' });
    await expect(callUnary(grpc, grpc.getCall, { callId: 'call_missing' }, 5000)).rejects.toMatchObject({ code: 'not_found' });
  });
});

/** A test double of the SFU seam: grants name the member and the room, and are recorded. */
class FakeSfu extends SfuAccess {
  readonly grants: { userId: string; connectionId: string; roomId: string }[] = [];
  grant(caller: Caller, roomId: string): Promise<SfuGrant> {
    this.grants.push({ userId: caller.userId, connectionId: caller.connectionId, roomId });
    return Promise.resolve({ url: 'wss://sfu.test', token: `token-${caller.userId}-${roomId}`, expiresAt: 4_000_000_000_000 });
  }
}

describe('SFU calls', () => {
  const sfu = new FakeSfu();
  let h: MediaHarness;
  beforeAll(async () => {
    h = await MediaHarness.start(1, { sfu });
  });
  afterAll(() => h.stop());

  it('start and accept return the member’s SFU grant; P2P calls ask the SFU nothing', async () => {
    const { roomId, owner, members } = await h.roomWith(1, { kind: 'sfu' });
    const log = await h.rooms.watchRoom(roomId);
    const started = await h.req('call.start', owner, { roomId, media: 'video', mode: 'sfu' });
    expect(started).toEqual({ callId: expect.any(String), sfu: { url: 'wss://sfu.test', token: `token-${owner.userId}-${roomId}`, expiresAt: 4_000_000_000_000 } });
    expect((await log.waitFor('call.incoming')).data).toMatchObject({ callId: started.callId, mode: 'sfu' });
    const accepted = await h.req('call.accept', members[0], { callId: started.callId });
    expect(accepted).toEqual({ callId: started.callId, sfu: { url: 'wss://sfu.test', token: `token-${members[0].userId}-${roomId}`, expiresAt: 4_000_000_000_000 } });
    expect(sfu.grants).toEqual([
      { userId: owner.userId, connectionId: owner.connectionId, roomId },
      { userId: members[0].userId, connectionId: members[0].connectionId, roomId },
    ]);
    await h.req('call.end', owner, { callId: started.callId });
    await h.req('call.start', owner, { roomId, media: 'audio', mode: 'p2p' });
    expect(sfu.grants).toHaveLength(2);
  });
});
