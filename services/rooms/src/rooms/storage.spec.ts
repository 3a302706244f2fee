import { ROOM_EVENTS_STREAM } from '@switchboard/platform';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { subjects } from '@switchboard/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RoomsHarness } from '../testing/harness.test.js';

/**
 * Issue 10 item 4: room event storage is bounded. SB_ROOM_EVENTS has byte limits, ephemeral
 * events (broadcast, typing) stay out of it unless the room opts in, and room creation has
 * per-user quotas.
 */
describe('bounded room event storage and room quotas', () => {
  let h: RoomsHarness;
  let jsm: JetStreamManager;
  beforeAll(async () => {
    h = await RoomsHarness.start(1);
    jsm = await jetstreamManager(h.bus.nc);
  });
  afterAll(async () => {
    await h.stop();
  });

  const stored = async (roomId: string) => {
    const subject = subjects.room(roomId);
    return (await jsm.streams.info(ROOM_EVENTS_STREAM, { subjects_filter: subject })).state.subjects?.[subject] ?? 0;
  };

  it('limits the stream in bytes and per message (defaults 1 GiB and 64 KiB)', async () => {
    const info = await jsm.streams.info(ROOM_EVENTS_STREAM);
    expect(info.config.max_bytes).toBe(1024 * 1024 * 1024);
    expect(info.config.max_msg_size).toBe(64 * 1024);
  });

  it('keeps broadcasts and typing out of the replay stream unless the room opts in', async () => {
    const { roomId, owner } = await h.room();
    const bob = await h.joined(roomId);
    const log = await h.watchRoom(roomId);
    const before = await stored(roomId);
    for (let i = 0; i < 20; i++) await h.req('room.broadcast', bob, { roomId, data: { i, pad: 'p'.repeat(15_000) } });
    await h.req('chat.typing', bob, { roomId, typing: true });
    await h.waitUntil(() => log.of('room.broadcast').length === 20 && log.of('chat.typing').length === 1);
    // live: on sb.evt.live.<room>, without a seq, and nothing stored
    expect(new Set([...log.of('room.broadcast'), ...log.of('chat.typing')].map((e) => `${e.subject}:${e.seq}`))).toEqual(new Set([`${subjects.live(roomId)}:0`]));
    expect(log.of('room.broadcast')[0].excludeConnectionId).toBe(bob.connectionId);
    // a stored event after them proves the stream is caught up
    await h.req('chat.send', owner, { roomId, text: 'after', clientMsgId: 'a1' });
    await h.waitUntil(async () => (await stored(roomId)) === before + 1, 'the chat message stored');
    expect(await stored(roomId)).toBe(before + 1);
    expect(await h.code('room.broadcast', bob, { roomId, data: { pad: 'p'.repeat(17_000) } })).toBe('bad_request');

    // the owner opts in: broadcasts get a seq and are kept for resume (typing never is)
    const base = await stored(roomId);
    const updated = await h.req('room.update', owner, { roomId, replayEphemeral: true });
    expect(updated.room.replayEphemeral).toBe(true);
    await h.req('room.broadcast', bob, { roomId, data: 'kept' });
    const kept = await log.waitFor('room.broadcast', (e) => e.data.data === 'kept');
    expect(kept.subject).toBe(subjects.room(roomId));
    expect(kept.seq).toBeGreaterThan(0);
    await h.waitUntil(async () => (await stored(roomId)) === base + 2, 'the room.updated event and the broadcast stored');
    await h.req('room.update', owner, { roomId, replayEphemeral: false });
    await h.req('room.broadcast', bob, { roomId, data: 'live again' });
    expect((await log.waitFor('room.broadcast', (e) => e.data.data === 'live again')).subject).toBe(subjects.live(roomId));
  });

  it('caps open rooms per owner (100) and rooms created per hour (100)', async () => {
    const owner = h.caller();
    const ids: string[] = [];
    for (let i = 0; i < 100; i++) ids.push((await h.room({}, owner)).roomId);
    expect(await h.code('room.create', owner, { name: 'one too many', kind: 'group', joinPolicy: 'open' })).toBe('forbidden');
    // another user is not affected
    expect(await h.code('room.create', h.caller(), { name: 'other', kind: 'group', joinPolicy: 'open' })).toBe('ok');
    // closing one frees a slot, but the hourly quota is used up
    await h.req('room.close', owner, { roomId: ids[0] });
    const err = await h.req('room.create', owner, { name: 'again', kind: 'group', joinPolicy: 'open' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'rate_limited' });
    expect((err as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(0);
  });
});
