import { createRedis, jsonBytes } from '@switchboard/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RoomsHarness, uid } from '../testing/harness.test.js';
import { slot } from '@switchboard/testing/slot';

/**
 * Issue 10 item 3: no reply outgrows NATS's max_payload. Sizes are capped in the protocol
 * schemas, and lists (rooms, history, participants) are paged by a byte budget
 * (REPLY_MAX_BYTES, 256 KiB by default) with `hasMore` and a cursor.
 */
describe('replies stay under the bus limit: size caps and byte-budget paging', () => {
  const BUDGET = 256 * 1024;
  let h: RoomsHarness;
  const redis = createRedis(slot().redisUrl);
  beforeAll(async () => {
    h = await RoomsHarness.start(1);
  });
  afterAll(async () => {
    await h.stop();
    await redis.quit();
  });

  it('refuses oversized room metadata and pages room.list by size', async () => {
    const owner = h.caller();
    expect(await h.code('room.create', owner, { name: 'fat', kind: 'group', joinPolicy: 'open', metadata: { blob: 'm'.repeat(60_000) } })).toBe('bad_request');
    const { roomId } = await h.room({}, owner);
    expect(await h.code('room.update', owner, { roomId, metadata: { blob: 'm'.repeat(60_000) } })).toBe('bad_request');

    // 40 public rooms with metadata just under the cap (8 KiB): 320 KB, more than one reply may carry
    const tag = uid('meta');
    const ours = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const { roomId: id } = await h.room({ visibility: 'public', metadata: { tag, blob: 'm'.repeat(8000) } }, h.caller(uid(`own${i % 4}`)));
      ours.add(id);
    }
    const seen = new Set<string>();
    let cursor: string | undefined;
    let pages = 0;
    for (;;) {
      const page = await h.req('room.list', h.caller(), { limit: 100, ...(cursor ? { cursor } : {}) });
      pages++;
      expect(jsonBytes(page)).toBeLessThan(BUDGET + 4096);
      for (const r of page.rooms) if (r.metadata?.tag === tag) seen.add(r.id);
      expect(page.hasMore).toBe(page.nextCursor !== null);
      if (!page.hasMore) break;
      cursor = page.nextCursor;
    }
    expect(seen).toEqual(ours);
    expect(pages).toBeGreaterThan(1);
  });

  it('refuses oversized chat messages and pages chat.history by size', async () => {
    const { roomId, owner } = await h.room();
    // 8000 three-byte characters pass the length check but not the 16 KiB size cap
    expect(await h.code('chat.send', owner, { roomId, text: '€'.repeat(8000), clientMsgId: 'x' })).toBe('bad_request');
    expect(await h.code('chat.send', owner, { roomId, text: 'a', clientMsgId: 'y', attachments: Array.from({ length: 10 }, () => ({ url: 'u'.repeat(2000) })) })).toBe('bad_request');
    const ids: string[] = [];
    for (let i = 0; i < 45; i++) ids.push((await h.req('chat.send', owner, { roomId, text: `${i}:${'é'.repeat(7900)}`, clientMsgId: `m${i}` })).message.id);
    const got: string[] = [];
    let before: string | undefined;
    for (;;) {
      const page = await h.req('chat.history', owner, { roomId, limit: 100, ...(before ? { before } : {}) });
      expect(jsonBytes(page)).toBeLessThan(BUDGET + 4096);
      expect(page.messages.length).toBeGreaterThan(0);
      got.unshift(...page.messages.map((m: { id: string }) => m.id));
      if (!page.hasMore) break;
      before = page.messages[0].id;
    }
    expect(got).toEqual(ids);
    // forwards, too
    const first = await h.req('chat.history', owner, { roomId, after: ids[0], limit: 100 });
    expect(first.hasMore).toBe(true);
    expect(first.messages.map((m: { id: string }) => m.id)).toEqual(ids.slice(1, 1 + first.messages.length));
  });

  it('pages the participants of a room with thousands of seats', async () => {
    const { roomId, owner } = await h.room({ maxParticipants: 20_000 });
    // 8000 seats (1.5 MB of participants) written as the store keeps them, then one real join
    const seats = 8000;
    const key = `sb:{room:${roomId}}:participants`;
    const base = Date.now();
    for (let start = 0; start < seats; start += 1000) {
      const m = redis.multi();
      for (let i = start; i < Math.min(seats, start + 1000); i++) {
        const p = { userId: `seat${i}`, connectionId: `c${roomId}x${i}`, name: `seat ${i} ${'n'.repeat(60)}`, role: 'member', muted: false, joinedAt: base + i, nodeId: 'gw', sessionId: `s${i}` };
        m.hset(key, p.connectionId, JSON.stringify(p));
      }
      await m.exec();
    }
    const late = h.caller();
    const joined = await h.req('room.join', late, { roomId });
    expect(jsonBytes(joined)).toBeLessThan(BUDGET + 4096);
    expect(joined.participantsCursor).toEqual(expect.any(String));
    expect(joined.room.participantCount).toBe(seats + 2);

    const got = await h.req('room.get', owner, { roomId });
    expect(jsonBytes(got)).toBeLessThan(BUDGET + 4096);
    const all = got.participants.map((p: { connectionId: string }) => p.connectionId);
    let cursor = got.participantsCursor;
    while (cursor) {
      const page = await h.req('room.participants', owner, { roomId, cursor, limit: 1000 });
      expect(jsonBytes(page)).toBeLessThan(BUDGET + 4096);
      all.push(...page.participants.map((p: { connectionId: string }) => p.connectionId));
      expect(page.hasMore).toBe(page.nextCursor !== null);
      cursor = page.nextCursor;
    }
    expect(all).toHaveLength(seats + 2);
    expect(new Set(all).size).toBe(seats + 2);
    expect(all).toContain(late.connectionId);
    expect(await h.code('room.participants', owner, { roomId, cursor: 'bm9wZQ' })).toBe('bad_request');
    // private rooms page for members only
    const priv = await h.room({ visibility: 'private' });
    expect(await h.code('room.participants', h.caller(), { roomId: priv.roomId })).toBe('not_found');
  });
});
