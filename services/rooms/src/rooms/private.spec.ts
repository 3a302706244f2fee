import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RoomsHarness } from '../testing/harness.test.js';

/**
 * Issue 10 item 12 (ADR 0010): a private room is members-only whatever its join policy.
 * Knowing its id lets a stranger ask (room.request_join), not enter.
 */
describe('private rooms are members-only', () => {
  let h: RoomsHarness;
  beforeAll(async () => {
    h = await RoomsHarness.start(1);
  });
  afterAll(() => h.stop());

  it('refuses a stranger who knows the id of a private open room; approval lets them in', async () => {
    const { roomId, owner } = await h.room({ visibility: 'private', joinPolicy: 'open' });
    const stranger = h.caller();
    expect(await h.code('room.join', stranger, { roomId })).toBe('forbidden');
    expect(await h.code('room.get', stranger, { roomId })).toBe('not_found');
    expect((await h.req('room.get', owner, { roomId })).participants).toHaveLength(1);

    const staff = await h.watchUser(owner.userId);
    const { requestId } = await h.req('room.request_join', stranger, { roomId, message: 'let me in' });
    expect((await staff.waitFor('room.join_requested')).data).toMatchObject({ requestId, user: { userId: stranger.userId } });
    await h.req('room.approve', owner, { roomId, requestId });
    const joined = await h.req('room.join', stranger, { roomId });
    expect(joined.participants.map((p: { userId: string }) => p.userId).sort()).toEqual([owner.userId, stranger.userId].sort());
    // a member may come back on another connection without asking again
    const second = h.caller(stranger.userId);
    expect(await h.code('room.join', second, { roomId })).toBe('ok');
    // leaving with the last connection ends the membership: back to asking
    await h.req('room.leave', stranger, { roomId });
    await h.req('room.leave', second, { roomId });
    expect(await h.code('room.join', h.caller(stranger.userId), { roomId })).toBe('forbidden');
  });

  it('leaves public open rooms open', async () => {
    const { roomId } = await h.room({ visibility: 'public', joinPolicy: 'open' });
    const anyone = h.caller();
    expect(await h.code('room.join', anyone, { roomId })).toBe('ok');
    expect(await h.code('room.request_join', h.caller(), { roomId })).toBe('bad_request');
  });
});
