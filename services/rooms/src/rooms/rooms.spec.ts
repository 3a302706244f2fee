import { subjects } from '@switchboard/protocol';
import { callUnary, grpcClient } from '@switchboard/platform';
import { rooms as proto } from '@switchboard/proto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LobbyMarks } from '../lobby/lobby.marks.js';
import { GRPC_SECRET, RoomsHarness, uid, until } from '../testing/harness.test.js';
import { decodeRoomCursor, encodeRoomCursor } from './rooms.view.js';
import { ParticipantsStore } from './participants.store.js';
import { SqlPool } from '../db/sql.pool.js';
import { RoomsStore } from './rooms.store.js';

describe('rooms: lifecycle, refusals and concurrency across two replicas', () => {
  let h: RoomsHarness;
  beforeAll(async () => {
    h = await RoomsHarness.start(2);
  });
  afterAll(() => h.stop());

  it('reads what a join decides in one statement: the room as Prisma types it, membership with role and mute, ban, closed rooms', async () => {
    const store = h.replicas[0].app.get(RoomsStore);
    const { roomId, owner } = await h.room({ name: 'one-read', metadata: { a: [1, 'x'] } });
    const model = await store.find(roomId);
    const stranger = await store.forJoin(roomId, uid('u'));
    expect(stranger).toEqual({ room: model, member: null, banned: false });
    expect(stranger!.room.createdAt).toBeInstanceOf(Date);
    expect((await store.forJoin(roomId, owner.userId))?.member).toEqual(await store.member(roomId, owner.userId));

    const bob = await h.joined(roomId);
    await h.req('room.mute', owner, { roomId, userId: bob.userId, muted: true });
    expect((await store.forJoin(roomId, bob.userId))?.member).toMatchObject({ role: 'member', muted: true, mutedBy: owner.userId });
    expect((await store.forJoin(roomId, bob.userId))?.member).toEqual(await store.member(roomId, bob.userId));
    expect((await store.joinAndEnsureMember(roomId, bob.userId))?.inserted).toBe(false); // already a member: nothing changes
    expect((await store.forJoin(roomId, bob.userId))?.member).toEqual(await store.member(roomId, bob.userId));

    const carol = await h.joined(roomId);
    await h.req('room.ban', owner, { roomId, userId: carol.userId });
    expect(await store.forJoin(roomId, carol.userId)).toMatchObject({ member: null, banned: true });
    // The join's variant creates the membership of an open public room in the same statement, never a banned user's.
    const dave = uid('u');
    expect(await store.joinAndEnsureMember(roomId, dave)).toEqual({ room: model, member: null, banned: false, inserted: true });
    expect(await store.joinAndEnsureMember(roomId, dave)).toMatchObject({ member: { role: 'member', muted: false }, inserted: false });
    expect(await store.joinAndEnsureMember(roomId, carol.userId)).toMatchObject({ member: null, banned: true, inserted: false });
    expect(await store.member(roomId, carol.userId)).toBeNull();
    for (const settings of [{ joinPolicy: 'approval' }, { visibility: 'private' }]) {
      const other = await h.room(settings);
      expect(await store.joinAndEnsureMember(other.roomId, dave)).toMatchObject({ member: null, inserted: false });
      expect(await store.member(other.roomId, dave)).toBeNull();
    }
    await h.req('room.close', owner, { roomId });
    expect(await store.joinAndEnsureMember(roomId, uid('u'))).toBeNull();
    expect(await store.forJoin(roomId, bob.userId)).toBeNull();
    expect(await store.forJoin(uid('r'), bob.userId)).toBeNull();
  });

  it("shares one statement among a turn's joins, each with the answer it would get alone (ADR 0088)", async () => {
    const store = h.replicas[0].app.get(RoomsStore);
    const statements = vi.spyOn(h.replicas[0].app.get(SqlPool), 'rows');
    const { roomId, owner } = await h.room({ name: 'batched' });
    const model = await store.find(roomId);
    const carol = await h.joined(roomId);
    await h.req('room.ban', owner, { roomId, userId: carol.userId });
    const approval = await h.room({ joinPolicy: 'approval' });
    const closed = await h.room({});
    await h.req('room.close', closed.owner, { roomId: closed.roomId });
    const [dave, erin] = [uid('u'), uid('u')];
    statements.mockClear();
    const [first, again, ofOwner, ofBanned, ofApproval, ofClosed, ofUnknown] = await Promise.all([
      store.joinAndEnsureMember(roomId, dave),
      store.joinAndEnsureMember(roomId, dave),
      store.joinAndEnsureMember(roomId, owner.userId),
      store.joinAndEnsureMember(roomId, carol.userId),
      store.joinAndEnsureMember(approval.roomId, erin),
      store.joinAndEnsureMember(closed.roomId, erin),
      store.joinAndEnsureMember(uid('r'), erin),
    ]);
    expect(statements.mock.calls.map((c) => c[0])).toEqual(['room_join_read_ensure_many']);
    statements.mockRestore();
    expect(first).toEqual({ room: model, member: null, banned: false, inserted: true });
    // The same user twice in one batch: one membership, and only one join may undo it.
    expect(again).toEqual({ room: model, member: null, banned: false, inserted: false });
    expect(ofOwner).toMatchObject({ room: model, member: { role: 'owner' }, banned: false, inserted: false });
    expect(ofBanned).toMatchObject({ member: null, banned: true, inserted: false });
    expect(ofApproval).toMatchObject({ member: null, banned: false, inserted: false });
    expect(ofClosed).toBeNull();
    expect(ofUnknown).toBeNull();
    expect(await store.member(roomId, dave)).toMatchObject({ role: 'member', muted: false });
    expect(await store.member(roomId, carol.userId)).toBeNull();
    expect(await store.member(approval.roomId, erin)).toBeNull();
    expect(await store.member(closed.roomId, erin)).toBeNull();
  });

  it('create, join, get, update (kind fixed), broadcast excludes the sender, leave, close', async () => {
    const { roomId, owner, reply } = await h.room({ name: 'team', metadata: { a: 1 } });
    expect(reply.room).toMatchObject({ name: 'team', kind: 'group', ownerId: owner.userId, participantCount: 1, metadata: { a: 1 } });
    expect(reply.participants[0]).toMatchObject({ userId: owner.userId, role: 'owner' });
    const log = await h.watchRoom(roomId);
    const bob = h.caller();
    const joined = await h.req('room.join', bob, { roomId });
    expect(joined.seq).toBe(reply.seq + 1);
    expect((await log.waitFor('room.participant_joined')).data.participant).toMatchObject({ userId: bob.userId, role: 'member', connectionId: bob.connectionId });
    // Joining again on the same connection is a no-op that reports the current seq.
    expect((await h.req('room.join', bob, { roomId })).seq).toBeGreaterThanOrEqual(joined.seq);

    const updated = await h.req('room.update', owner, { roomId, name: 'team2', kind: 'sfu', maxParticipants: 5 });
    expect(updated.room).toMatchObject({ name: 'team2', kind: 'group', maxParticipants: 5, participantCount: 2 });
    expect((await log.waitFor('room.updated')).data.room.name).toBe('team2');

    await h.req('room.broadcast', bob, { roomId, data: { x: [1, 2] } });
    const b = await log.waitFor('room.broadcast');
    expect(b.data).toEqual({ from: { userId: bob.userId, connectionId: bob.connectionId }, data: { x: [1, 2] } });
    expect(b.excludeConnectionId).toBe(bob.connectionId);

    await h.req('room.leave', bob, { roomId });
    expect((await log.waitFor('room.participant_left')).data).toEqual({ userId: bob.userId, connectionId: bob.connectionId, reason: 'left' });
    expect((await h.req('room.get', owner, { roomId })).room.participantCount).toBe(1);

    await h.req('room.close', owner, { roomId });
    expect((await log.waitFor('room.closed')).data).toEqual({ roomId });
    expect(await h.code('room.join', h.caller(), { roomId })).toBe('not_found');
    expect(await h.code('room.get', owner, { roomId })).toBe('not_found');
    // seq is gap-free for the room
    const seqs = log.events.filter((e) => e.seq).map((e) => e.seq);
    expect(seqs).toEqual(seqs.map((_, i) => seqs[0] + i));
  });

  it('refuses: unknown room, wrong role, approval required, full room, not a participant', async () => {
    const stranger = h.caller();
    for (const [verb, data] of [
      ['room.join', { roomId: 'r_nope' }],
      ['room.get', { roomId: 'r_nope' }],
      ['room.update', { roomId: 'r_nope', name: 'x' }],
      ['room.close', { roomId: 'r_nope' }],
      ['room.broadcast', { roomId: 'r_nope', data: 1 }],
      ['room.leave', { roomId: 'r_nope' }],
    ] as const) {
      expect(await h.code(verb, stranger, data), verb).toBe('not_found');
    }
    const { roomId, owner } = await h.room({ maxParticipants: 2 });
    const member = await h.joined(roomId);
    expect(await h.code('room.update', member, { roomId, name: 'x' })).toBe('forbidden');
    expect(await h.code('room.close', member, { roomId })).toBe('forbidden');
    expect(await h.code('room.update', stranger, { roomId, name: 'x' })).toBe('forbidden');
    expect(await h.code('room.broadcast', stranger, { roomId, data: 1 })).toBe('forbidden');
    expect(await h.code('room.join', stranger, { roomId })).toBe('room_full');
    // The join's read created the membership (ADR 0083); the refused seat gave it back (ADR 0068).
    expect(await h.replicas[0].app.get(RoomsStore).member(roomId, stranger.userId)).toBeNull();
    // Another device of a present user takes no extra seat.
    expect(await h.code('room.join', h.caller(member.userId), { roomId })).toBe('ok');

    const approval = await h.room({ joinPolicy: 'approval' });
    expect(await h.code('room.join', stranger, { roomId: approval.roomId })).toBe('forbidden');
    const priv = await h.room({ visibility: 'private' });
    expect(await h.code('room.get', stranger, { roomId: priv.roomId })).toBe('not_found');
    expect(await h.code('room.update', owner, { roomId, maxParticipants: 0 })).toBe('bad_request');
  });

  it('answers invalid data with bad_request and keeps serving', async () => {
    const c = h.caller();
    for (const [verb, data] of [
      ['room.create', { name: '', kind: 'group', joinPolicy: 'open' }],
      ['room.create', { name: 'x', kind: 'mesh', joinPolicy: 'open' }],
      ['room.join', { roomId: 'a.b' }],
      ['room.join', null],
      ['room.list', { limit: 1000 }],
      ['room.kick', { roomId: 'r_x' }],
      ['room.set_role', { roomId: 'r_x', userId: 'u', role: 'god' }],
      ['room.mute', { roomId: 'r_x', userId: 'u', muted: 'yes' }],
      ['floor.request', {}],
      ['no.such_verb', {}],
      ['session.resume', { sessionId: 's', rooms: { 'a.b': 1 } }],
    ] as const) {
      expect(await h.code(verb, c, data), verb).toBe('bad_request');
    }
    expect(await h.code('room.list', c, { cursor: 'garbage!' })).toBe('bad_request');
    expect(await h.code('room.create', c, { name: 'ok', kind: 'p2p', joinPolicy: 'open' })).toBe('ok');
  });

  it('lists public rooms and own private ones, newest first, with cursors', async () => {
    const me = h.caller();
    const mine = [];
    for (let i = 0; i < 4; i++) mine.push((await h.room({ name: `pub${i}` }, me)).roomId);
    const myPrivate = (await h.room({ visibility: 'private' }, me)).roomId;
    const othersPrivate = (await h.room({ visibility: 'private' })).roomId;
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 200; page++) {
      const res = await h.req('room.list', h.caller(me.userId), { limit: 3, ...(cursor ? { cursor } : {}) });
      expect(res.rooms.length).toBeLessThanOrEqual(3);
      seen.push(...res.rooms.map((r: { id: string }) => r.id));
      if (!res.nextCursor) break;
      cursor = res.nextCursor;
    }
    expect(seen).toContain(myPrivate);
    expect(seen).not.toContain(othersPrivate);
    expect(new Set(seen).size).toBe(seen.length);
    // newest first
    expect(mine.map((id) => seen.indexOf(id))).toEqual(mine.map((id) => seen.indexOf(id)).sort((a, b) => b - a));
    const listed = (await h.req('room.list', me, { limit: 100 })).rooms.find((r: { id: string }) => r.id === myPrivate);
    expect(listed).toMatchObject({ participantCount: 1 });
  });

  it('room cursors round-trip and reject garbage', () => {
    const d = new Date(1_764_288_000_123);
    expect(decodeRoomCursor(encodeRoomCursor({ createdAt: d, id: 'r_abc' }))).toEqual({ createdAt: d, id: 'r_abc' });
    expect(decodeRoomCursor('%%%')).toBeUndefined();
    expect(decodeRoomCursor(Buffer.from('1:a.b').toString('base64url'))).toBeUndefined();
  });

  it('admits exactly one of two simultaneous joins for the last seat, room after room', async () => {
    for (let i = 0; i < 8; i++) {
      const { roomId } = await h.room({ maxParticipants: 2 });
      const results = await Promise.all([h.code('room.join', h.caller(), { roomId }), h.code('room.join', h.caller(), { roomId })]);
      expect(results.sort()).toEqual(['ok', 'room_full']);
      expect((await h.req('room.get', h.caller(), { roomId })).participants).toHaveLength(2);
    }
  });

  it('takes a seat and its participant_joined seq in one step: concurrent joins on two replicas, in seq order, nothing for a refused one', async () => {
    const { roomId, reply } = await h.room({ maxParticipants: 6 });
    const log = await h.watchRoom(roomId);
    const touched = h.replicas.map((r) => vi.spyOn(r.app.get(LobbyMarks), 'touch'));
    const joiners = Array.from({ length: 7 }, () => h.caller());
    const codes = await Promise.all(joiners.map((c) => h.code('room.join', c, { roomId })));
    expect(codes.filter((c) => c === 'ok')).toHaveLength(5);
    expect(codes.filter((c) => c === 'room_full')).toHaveLength(2);
    await until(() => log.of('room.participant_joined').length === 5 || undefined, 'five participant_joined events');
    const joined = log.of('room.participant_joined');
    // Gap-free from the create's seq: no seq was taken for the refused joins.
    expect(joined.map((e) => e.seq).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5].map((i) => reply.seq + i));
    const seats = await h.replicas[0].app.get(ParticipantsStore).list(roomId);
    for (const e of joined) {
      const seat = seats.find((p) => p.connectionId === (e.data as { participant: { connectionId: string } }).participant.connectionId);
      expect(seat?.joinSeq).toBe(e.seq - 1);
    }
    const store = h.replicas[0].app.get(RoomsStore);
    for (const [i, c] of joiners.entries()) expect(!!(await store.member(roomId, c.userId)), `joiner ${i}`).toBe(codes[i] === 'ok');
    // The live room registry hears of every seat (its coalesced notice, ADR 0024).
    expect(touched.flatMap((t) => t.mock.calls).filter(([id]) => id === roomId)).toHaveLength(5);
    touched.forEach((t) => t.mockRestore());
    // A repeated join reports the room's current seq and announces nothing.
    const again = await h.req('room.join', joiners[codes.indexOf('ok')], { roomId });
    expect(again.seq).toBe(reply.seq + 5);
  });

  it('serves the gRPC RoomsService: list, get, participants, membership, remove, close', async () => {
    const client = grpcClient(proto.RoomsServiceClient, `127.0.0.1:${h.replicas[1].grpcPort}`, GRPC_SECRET);
    const { roomId, owner } = await h.room({ name: 'grpc' });
    const bob = await h.joined(roomId);
    const log = await h.watch(subjects.room(roomId), `sb.evt.user.${bob.userId}`);
    try {
      const got = await callUnary(client, client.getRoom, { roomId }, 3000);
      expect(got.room).toMatchObject({ id: roomId, name: 'grpc', participantCount: 2, closed: false, metadataJson: '{}' });
      expect((await callUnary(client, client.listParticipants, { roomId }, 3000)).participants.map((p) => p.userId).sort()).toEqual([owner.userId, bob.userId].sort());
      expect(await callUnary(client, client.checkMembership, { roomId, userId: bob.userId }, 3000)).toMatchObject({ member: true, role: 'member', banned: false, roomKind: 'group' });
      const listed = await callUnary(client, client.listRooms, { cursor: '', limit: 500, includeClosed: false }, 3000);
      expect(listed.rooms.some((r) => r.id === roomId)).toBe(true);

      // the owner protection holds for admins too (issue 10 item 9)
      await expect(callUnary(client, client.removeUser, { roomId, userId: owner.userId, reason: 'x', ban: true, actor: 'admin1' }, 3000)).rejects.toMatchObject({ code: 'forbidden' });
      expect(await callUnary(client, client.checkMembership, { roomId, userId: owner.userId }, 3000)).toMatchObject({ member: true, role: 'owner', banned: false });
      await callUnary(client, client.removeUser, { roomId, userId: bob.userId, reason: 'spam', ban: true, actor: 'admin1' }, 3000);
      expect((await log.waitFor('room.participant_left')).data).toEqual({ userId: bob.userId, connectionId: bob.connectionId, reason: 'banned' });
      expect((await log.waitFor('room.removed')).data).toEqual({ roomId, reason: 'banned', message: 'spam' });
      expect(await callUnary(client, client.checkMembership, { roomId, userId: bob.userId }, 3000)).toMatchObject({ member: false, banned: true });
      expect(await h.code('room.join', h.caller(bob.userId), { roomId })).toBe('forbidden');

      await callUnary(client, client.closeRoom, { roomId, actor: 'admin1' }, 3000);
      await log.waitFor('room.closed');
      expect((await callUnary(client, client.getRoom, { roomId }, 3000)).room).toMatchObject({ closed: true, participantCount: 0 });
      await expect(callUnary(client, client.getRoom, { roomId: uid('r') }, 3000)).rejects.toMatchObject({ code: 'not_found' });
    } finally {
      client.close();
    }
  });
});
