import { subjects } from '@switchboard/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RoomRecords } from '../rooms/room-records.service.js';
import { RoomSeats } from '../rooms/room-seats.service.js';
import { RoomsHarness } from '../testing/harness.test.js';

describe('moderation and approvals: role rules, kick, ban, mute, set_role, join requests', () => {
  let h: RoomsHarness;
  beforeAll(async () => {
    h = await RoomsHarness.start(2);
  });
  afterAll(() => h.stop());

  /** A room with an owner, a moderator and two members, all present. */
  async function staffedRoom(data: Record<string, unknown> = {}) {
    const { roomId, owner } = await h.room(data);
    const mod = await h.joined(roomId);
    await h.req('room.set_role', owner, { roomId, userId: mod.userId, role: 'moderator' });
    const m1 = await h.joined(roomId);
    const m2 = await h.joined(roomId);
    return { roomId, owner, mod, m1, m2 };
  }

  it('enforces who may act on whom', async () => {
    const { roomId, owner, mod, m1, m2 } = await staffedRoom();
    const mod2 = await h.joined(roomId);
    await h.req('room.set_role', owner, { roomId, userId: mod2.userId, role: 'moderator' });
    // members: nothing
    for (const verb of ['room.kick', 'room.ban', 'room.unban']) expect(await h.code(verb, m1, { roomId, userId: m2.userId }), verb).toBe('forbidden');
    expect(await h.code('room.mute', m1, { roomId, userId: m2.userId, muted: true })).toBe('forbidden');
    expect(await h.code('room.set_role', m1, { roomId, userId: m2.userId, role: 'moderator' })).toBe('forbidden');
    // moderators: not on the owner or other moderators, never roles
    expect(await h.code('room.kick', mod, { roomId, userId: owner.userId })).toBe('forbidden');
    expect(await h.code('room.ban', mod, { roomId, userId: mod2.userId })).toBe('forbidden');
    expect(await h.code('room.mute', mod, { roomId, userId: owner.userId, muted: true })).toBe('forbidden');
    expect(await h.code('room.set_role', mod, { roomId, userId: m1.userId, role: 'moderator' })).toBe('forbidden');
    expect(await h.code('room.set_role', mod, { roomId, userId: owner.userId, role: 'member' })).toBe('forbidden');
    // nobody on themselves; the owner cannot demote themselves
    expect(await h.code('room.kick', owner, { roomId, userId: owner.userId })).toBe('bad_request');
    expect(await h.code('room.set_role', owner, { roomId, userId: owner.userId, role: 'member' })).toBe('bad_request');
    // unknown targets
    expect(await h.code('room.kick', owner, { roomId, userId: 'nobody' })).toBe('not_found');
    expect(await h.code('room.unban', owner, { roomId, userId: 'nobody' })).toBe('not_found');
    expect(await h.code('room.set_role', owner, { roomId, userId: 'nobody', role: 'member' })).toBe('not_found');
    // allowed
    expect(await h.code('room.mute', mod, { roomId, userId: m1.userId, muted: true })).toBe('ok');
    expect(await h.code('room.kick', mod, { roomId, userId: m2.userId })).toBe('ok');
    expect(await h.code('room.kick', owner, { roomId, userId: mod2.userId })).toBe('ok');
  });

  it('kick: participant_left per connection, room.removed to the user, membership ends, may rejoin', async () => {
    const { roomId, mod, m1 } = await staffedRoom();
    const phone = await h.joined(roomId, m1.userId);
    const log = await h.watch(subjects.room(roomId), `sb.evt.user.${m1.userId}`);
    await h.req('room.kick', mod, { roomId, userId: m1.userId, reason: 'calm down' });
    await h.waitUntil(() => log.of('room.participant_left').length === 2);
    expect(log.of('room.participant_left').map((e) => e.data).sort((a, b) => a.connectionId.localeCompare(b.connectionId))).toEqual(
      [m1, phone].map((c) => ({ userId: c.userId, connectionId: c.connectionId, reason: 'kicked' })).sort((a, b) => a.connectionId.localeCompare(b.connectionId)),
    );
    expect((await log.waitFor('room.removed')).data).toEqual({ roomId, reason: 'kicked', message: 'calm down' });
    expect((await h.req('room.get', mod, { roomId })).participants.some((p: { userId: string }) => p.userId === m1.userId)).toBe(false);
    expect(await h.code('chat.send', m1, { roomId, text: 'hi', clientMsgId: 'k1' })).toBe('forbidden');
    expect(await h.code('room.join', m1, { roomId })).toBe('ok');
  });

  it('ban: banned users cannot join or request to join until unbanned', async () => {
    const { roomId, owner, m1 } = await staffedRoom();
    const log = await h.watch(subjects.room(roomId), `sb.evt.user.${m1.userId}`);
    await h.req('room.ban', owner, { roomId, userId: m1.userId });
    expect((await log.waitFor('room.participant_left')).data.reason).toBe('banned');
    expect((await log.waitFor('room.removed')).data).toEqual({ roomId, reason: 'banned' });
    expect(await h.code('room.join', h.caller(m1.userId), { roomId })).toBe('forbidden');
    // pre-emptive ban of someone never seen
    const outsider = h.caller();
    await h.req('room.ban', owner, { roomId, userId: outsider.userId });
    expect(await h.code('room.join', outsider, { roomId })).toBe('forbidden');
    // Refused before any seat or membership (the join's read creates memberships, never a banned user's: ADR 0083).
    expect(await h.replicas[0].app.get(RoomRecords).member(roomId, outsider.userId)).toBeNull();
    expect(await h.replicas[0].app.get(RoomSeats).ofUser(roomId, outsider.userId)).toEqual([]);
    await h.req('room.unban', owner, { roomId, userId: m1.userId });
    expect(await h.code('room.join', h.caller(m1.userId), { roomId })).toBe('ok');

    const approval = await h.room({ joinPolicy: 'approval' });
    await h.req('room.ban', approval.owner, { roomId: approval.roomId, userId: outsider.userId });
    expect(await h.code('room.request_join', outsider, { roomId: approval.roomId })).toBe('forbidden');
  });

  it('a moderator muted by the owner cannot unmute themselves; a self-mute can be undone', async () => {
    const { roomId, owner, mod, m1 } = await staffedRoom();
    await h.req('room.mute', owner, { roomId, userId: mod.userId, muted: true });
    expect(await h.code('room.mute', mod, { roomId, userId: mod.userId, muted: false })).toBe('forbidden');
    let parts = (await h.req('room.get', owner, { roomId })).participants;
    expect(parts.find((p: { userId: string }) => p.userId === mod.userId).muted).toBe(true);
    // muting themselves again does not turn the imposed mute into a self-mute
    expect(await h.code('room.mute', mod, { roomId, userId: mod.userId, muted: true })).toBe('ok');
    expect(await h.code('room.mute', mod, { roomId, userId: mod.userId, muted: false })).toBe('forbidden');
    // the owner lifts it; then a self-mute is the moderator's own to undo
    expect(await h.code('room.mute', owner, { roomId, userId: mod.userId, muted: false })).toBe('ok');
    expect(await h.code('room.mute', mod, { roomId, userId: mod.userId, muted: true })).toBe('ok');
    expect(await h.code('room.mute', mod, { roomId, userId: mod.userId, muted: false })).toBe('ok');
    parts = (await h.req('room.get', owner, { roomId })).participants;
    expect(parts.find((p: { userId: string }) => p.userId === mod.userId).muted).toBe(false);
    // a member muted by a moderator: the member has no right to unmute anyone, themselves included
    await h.req('room.mute', mod, { roomId, userId: m1.userId, muted: true });
    expect(await h.code('room.mute', m1, { roomId, userId: m1.userId, muted: false })).toBe('forbidden');
  });

  it('mute and set_role update live participants and announce it; ownership can be handed over', async () => {
    const { roomId, owner, m1, m2 } = await staffedRoom();
    const log = await h.watchRoom(roomId);
    await h.req('room.mute', owner, { roomId, userId: m1.userId, muted: true });
    expect((await log.waitFor('room.participant_muted')).data).toEqual({ userId: m1.userId, muted: true });
    const parts = (await h.req('room.get', owner, { roomId })).participants;
    expect(parts.find((p: { userId: string }) => p.userId === m1.userId).muted).toBe(true);
    // mute survives leaving the live list and coming back on another connection
    expect((await h.req('room.join', h.caller(m1.userId), { roomId })).participants.filter((p: { userId: string; muted: boolean }) => p.userId === m1.userId && p.muted)).toHaveLength(2);

    await h.req('room.set_role', owner, { roomId, userId: m2.userId, role: 'moderator' });
    expect((await log.waitFor('room.role_changed', (e) => e.data.userId === m2.userId)).data).toEqual({ userId: m2.userId, role: 'moderator' });
    await h.req('room.set_role', owner, { roomId, userId: m2.userId, role: 'owner' });
    await h.waitUntil(() => log.of('room.role_changed').length === 3);
    expect(log.of('room.role_changed').slice(1).map((e) => e.data)).toEqual([
      { userId: m2.userId, role: 'owner' },
      { userId: owner.userId, role: 'moderator' },
    ]);
    const got = await h.req('room.get', owner, { roomId });
    expect(got.room.ownerId).toBe(m2.userId);
    expect(await h.code('room.close', owner, { roomId })).toBe('forbidden');
    expect(await h.code('room.kick', owner, { roomId, userId: m2.userId })).toBe('forbidden');
    expect(await h.code('room.close', m2, { roomId })).toBe('ok');
  });

  it('approval rooms: request, staff notified, approve lets the user join; reject; decided once', async () => {
    const { roomId, owner } = await h.room({ joinPolicy: 'approval' });
    const asker = h.caller();
    const log = await h.watch(`sb.evt.user.${owner.userId}`, `sb.evt.user.${asker.userId}`);
    expect(await h.code('room.join', asker, { roomId })).toBe('forbidden');
    const { requestId } = await h.req('room.request_join', asker, { roomId, message: 'let me in' });
    expect((await h.req('room.request_join', asker, { roomId })).requestId).toBe(requestId);
    const asked = await log.waitFor('room.join_requested');
    expect(asked.data).toEqual({ requestId, user: { userId: asker.userId, name: asker.name }, message: 'let me in' });
    expect(log.of('room.join_requested')).toHaveLength(1);
    expect(await h.code('room.approve', asker, { roomId, requestId })).toBe('forbidden');
    await h.req('room.approve', owner, { roomId, requestId });
    expect((await log.waitFor('room.join_approved')).data).toEqual({ roomId, requestId });
    expect(await h.code('room.approve', owner, { roomId, requestId })).toBe('not_found');
    expect(await h.code('room.request_join', asker, { roomId })).toBe('conflict');
    const joined = await h.req('room.join', asker, { roomId });
    expect(joined.participants.some((p: { userId: string }) => p.userId === asker.userId)).toBe(true);

    const other = h.caller();
    const otherLog = await h.watchUser(other.userId);
    const second = await h.req('room.request_join', other, { roomId });
    await h.req('room.reject', owner, { roomId, requestId: second.requestId });
    expect((await otherLog.waitFor('room.join_rejected')).data).toEqual({ roomId, requestId: second.requestId });
    expect(await h.code('room.join', other, { roomId })).toBe('forbidden');
    expect(await h.code('room.reject', owner, { roomId, requestId: 'jr_unknown' })).toBe('not_found');
    const open = await h.room();
    expect(await h.code('room.request_join', other, { roomId: open.roomId })).toBe('bad_request');
    expect(await h.code('room.request_join', other, { roomId: 'r_nope' })).toBe('not_found');
  });

  it('moderators may approve: they get join_requested too', async () => {
    const { roomId, owner } = await h.room({ joinPolicy: 'approval' });
    // approve a first user, then make them moderator
    const first = h.caller();
    const r1 = await h.req('room.request_join', first, { roomId });
    await h.req('room.approve', owner, { roomId, requestId: r1.requestId });
    await h.req('room.join', first, { roomId });
    await h.req('room.set_role', owner, { roomId, userId: first.userId, role: 'moderator' });
    const modLog = await h.watchUser(first.userId);
    const asker = h.caller();
    const r2 = await h.req('room.request_join', asker, { roomId });
    expect((await modLog.waitFor('room.join_requested')).data.requestId).toBe(r2.requestId);
    expect(await h.code('room.approve', first, { roomId, requestId: r2.requestId })).toBe('ok');
  });
});
