import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RoomsHarness } from '../testing/harness.test.js';

describe('push-to-talk floor: contention, refresh, release, timeout, refusals', () => {
  let h: RoomsHarness;
  beforeAll(async () => {
    // 1.5 s leases (long enough for a loaded machine to finish a step), swept every 50 ms
    h = await RoomsHarness.start(2);
  });
  afterAll(() => h.stop());

  it('grants exactly one of two simultaneous requests, room after room; the loser learns the holder', async () => {
    for (let i = 0; i < 8; i++) {
      const { roomId, owner } = await h.room();
      const bob = await h.joined(roomId);
      const log = await h.watchRoom(roomId);
      const outcomes = await Promise.all(
        [owner, bob].map((c) => h.req('floor.request', c, { roomId }).then(() => ({ ok: c.userId }), (err) => ({ code: err.code, holder: err.details?.holder }))),
      );
      const winners = outcomes.filter((o) => 'ok' in o);
      const losers = outcomes.filter((o) => 'code' in o) as { code: string; holder: string }[];
      expect(winners).toHaveLength(1);
      expect(losers).toEqual([{ code: 'floor_busy', holder: (winners[0] as { ok: string }).ok }]);
      expect((await log.waitFor('floor.taken')).data).toEqual({ userId: (winners[0] as { ok: string }).ok, connectionId: expect.any(String), talkId: expect.stringMatching(/^t/), expiresAt: expect.any(Number) });
      await h.req('floor.release', winners[0].ok === owner.userId ? owner : bob, { roomId });
    }
  });

  it('holder refreshes by asking again; release frees it for the next speaker; non-holders cannot release', async () => {
    const { roomId, owner } = await h.room();
    const bob = await h.joined(roomId);
    const log = await h.watchRoom(roomId);
    const first = await h.req('floor.request', owner, { roomId });
    expect(first.expiresAt).toBeGreaterThan(Date.now() - 1000);
    const again = await h.req('floor.request', owner, { roomId });
    expect(again.expiresAt).toBeGreaterThanOrEqual(first.expiresAt);
    // A refresh keeps the talk; the grant announced it with the holding connection.
    expect(again.talkId).toBe(first.talkId);
    expect((await log.waitFor('floor.taken')).data).toEqual({ userId: owner.userId, connectionId: owner.connectionId, talkId: first.talkId, expiresAt: first.expiresAt });
    expect(await h.code('floor.release', bob, { roomId })).toBe('conflict');
    await h.req('floor.release', owner, { roomId });
    expect((await log.waitFor('floor.released')).data).toEqual({ userId: owner.userId, reason: 'released', talkId: first.talkId });
    expect((await h.req('floor.request', bob, { roomId })).talkId).not.toBe(first.talkId);
    await log.waitFor('floor.taken', (e) => e.data.userId === bob.userId);
    expect(log.of('floor.taken', (e) => e.data.userId === owner.userId)).toHaveLength(1); // the refresh announced nothing
  });

  it('a lease not refreshed lapses: floor.released with reason timeout, then others may speak', async () => {
    const { roomId, owner } = await h.room();
    const bob = await h.joined(roomId);
    const log = await h.watchRoom(roomId);
    const { talkId } = await h.req('floor.request', owner, { roomId });
    expect((await log.waitFor('floor.released')).data).toEqual({ userId: owner.userId, reason: 'timeout', talkId });
    expect(await h.code('floor.request', bob, { roomId })).toBe('ok');
    expect(log.of('floor.released')).toHaveLength(1); // swept once across both replicas
  });

  it('leaving, being kicked or muted releases the floor', async () => {
    const { roomId, owner } = await h.room();
    const bob = await h.joined(roomId);
    const log = await h.watchRoom(roomId);
    await h.req('floor.request', bob, { roomId });
    await h.req('room.mute', owner, { roomId, userId: bob.userId, muted: true });
    expect((await log.waitFor('floor.released')).data).toMatchObject({ userId: bob.userId, reason: 'released' });
    expect(await h.code('floor.request', bob, { roomId })).toBe('forbidden');
    await h.req('room.mute', owner, { roomId, userId: bob.userId, muted: false });
    await h.req('floor.request', bob, { roomId });
    await h.req('room.leave', bob, { roomId });
    await h.waitUntil(() => log.of('floor.released').length === 2);
    expect(log.of('floor.released')[1].data).toMatchObject({ userId: bob.userId, reason: 'released' });
  });

  it('refuses outsiders, unknown rooms, non-group rooms and bad input', async () => {
    const { roomId } = await h.room();
    expect(await h.code('floor.request', h.caller(), { roomId })).toBe('forbidden');
    expect(await h.code('floor.request', h.caller(), { roomId: 'r_nope' })).toBe('not_found');
    expect(await h.code('floor.release', h.caller(), { roomId: 'r_nope' })).toBe('not_found');
    const p2p = await h.room({ kind: 'p2p' });
    expect(await h.code('floor.request', p2p.owner, { roomId: p2p.roomId })).toBe('bad_request');
    expect(await h.code('floor.request', p2p.owner, { roomId: 5 })).toBe('bad_request');
  });
});
