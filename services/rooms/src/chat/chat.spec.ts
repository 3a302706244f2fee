import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RoomsHarness, uid } from '../testing/harness.test.js';
import type { Caller } from '@switchboard/platform';
import { REACTED_BY_MAX } from './chat.view.js';

describe('chat: send, idempotency, history paging, edit/delete/react/pin/read, typing', () => {
  let h: RoomsHarness;
  beforeAll(async () => {
    h = await RoomsHarness.start(2);
  });
  afterAll(() => h.stop());

  it('sends, and a retried clientMsgId (even concurrently, on both replicas) stores and announces one message', async () => {
    const { roomId, owner } = await h.room();
    const log = await h.watchRoom(roomId);
    const send = { roomId, text: 'hello', clientMsgId: 'c-1', attachments: [{ url: 'https://x/y.png', mime: 'image/png', size: 10 }] };
    const replies = await Promise.all(Array.from({ length: 6 }, () => h.req('chat.send', owner, send)));
    const ids = new Set(replies.map((r) => r.message.id));
    expect(ids.size).toBe(1);
    expect(replies[0].message).toMatchObject({ roomId, userId: owner.userId, text: 'hello', clientMsgId: 'c-1', deleted: false, pinned: false, reactions: {}, attachments: send.attachments });
    await log.waitFor('chat.message');
    expect((await h.req('chat.send', owner, send)).message.id).toBe(replies[0].message.id);
    expect(log.of('chat.message')).toHaveLength(1);
    expect((await h.req('chat.history', owner, { roomId })).messages).toHaveLength(1);
    // another user may reuse the same clientMsgId
    const bob = await h.joined(roomId);
    expect((await h.req('chat.send', bob, send)).message.id).not.toBe(replies[0].message.id);
  });

  it('a plain message takes one statement (ADR 0063): concurrent retries store and announce one, the row reads back as Prisma reads it, refusals keep their codes', async () => {
    const { roomId, owner } = await h.room();
    const log = await h.watchRoom(roomId);
    const send = { roomId, text: 'plain', clientMsgId: 'p-1' };
    const replies = await Promise.all(Array.from({ length: 6 }, () => h.req('chat.send', owner, send)));
    expect(new Set(replies.map((r) => r.message.id)).size).toBe(1);
    // Same view whether it came back from the insert (node-postgres) or from history (Prisma).
    // (History adds the reader's own reactions, `myReactions`.)
    const [{ myReactions, ...stored }] = (await h.req('chat.history', owner, { roomId })).messages;
    expect(myReactions).toEqual([]);
    for (const r of replies) expect(r.message).toEqual(stored);
    expect(stored).toMatchObject({ roomId, userId: owner.userId, text: 'plain', clientMsgId: 'p-1', attachments: [], deleted: false, pinned: false, reactions: {} });
    expect(stored).not.toHaveProperty('channelId');
    await h.req('chat.send', owner, { roomId, text: 'next', clientMsgId: 'p-2' });
    await log.waitFor('chat.message', (e) => e.data.message.clientMsgId === 'p-2');
    // By seq: a stream publish resent after a slow ack (ADR 0048) repeats its seq, which gateways drop; a second message would not.
    expect([...new Map(log.of('chat.message').map((e) => [e.seq, e.data.message.clientMsgId])).values()]).toEqual(['p-1', 'p-2']);

    // A kicked member is no member any more; a closed room is gone for everyone.
    const bob = await h.joined(roomId);
    expect(await h.code('chat.send', bob, { roomId, text: 'in', clientMsgId: 'b-1' })).toBe('ok');
    await h.req('room.kick', owner, { roomId, userId: bob.userId });
    expect(await h.code('chat.send', bob, { roomId, text: 'out', clientMsgId: 'b-2' })).toBe('forbidden');
    // A retry of a message sent while still a member is refused too, as before: membership comes first.
    expect(await h.code('chat.send', bob, { roomId, text: 'in', clientMsgId: 'b-1' })).toBe('forbidden');
    expect((await h.req('chat.history', owner, { roomId })).messages.map((m: { clientMsgId: string }) => m.clientMsgId)).toEqual(['p-1', 'p-2', 'b-1']);
    await h.req('room.close', owner, { roomId });
    expect(await h.code('chat.send', owner, { roomId, text: 'late', clientMsgId: 'p-3' })).toBe('not_found');
    expect(await h.code('chat.send', owner, { roomId, text: 'plain', clientMsgId: 'p-1' })).toBe('not_found');
  });

  it('pages history backwards and forwards with hasMore', async () => {
    const { roomId, owner } = await h.room();
    const sent: string[] = [];
    for (let i = 0; i < 7; i++) sent.push((await h.req('chat.send', owner, { roomId, text: `m${i}`, clientMsgId: `p${i}` })).message.id);
    const latest = await h.req('chat.history', owner, { roomId, limit: 3 });
    expect(latest.messages.map((m: { id: string }) => m.id)).toEqual(sent.slice(4));
    expect(latest.hasMore).toBe(true);
    const older = await h.req('chat.history', owner, { roomId, limit: 3, before: sent[4] });
    expect(older.messages.map((m: { id: string }) => m.id)).toEqual(sent.slice(1, 4));
    expect(older.hasMore).toBe(true);
    const oldest = await h.req('chat.history', owner, { roomId, limit: 3, before: sent[1] });
    expect(oldest).toMatchObject({ hasMore: false });
    expect(oldest.messages.map((m: { id: string }) => m.id)).toEqual([sent[0]]);
    const fwd = await h.req('chat.history', owner, { roomId, limit: 4, after: sent[0] });
    expect(fwd.messages.map((m: { id: string }) => m.id)).toEqual(sent.slice(1, 5));
    expect(fwd.hasMore).toBe(true);
    const end = await h.req('chat.history', owner, { roomId, limit: 4, after: sent[4] });
    expect(end.messages.map((m: { id: string }) => m.id)).toEqual(sent.slice(5));
    expect(end.hasMore).toBe(false);
    expect(await h.code('chat.history', owner, { roomId, before: sent[3], after: sent[1] })).toBe('bad_request');
    expect(await h.code('chat.history', owner, { roomId, before: 'm_unknown' })).toBe('not_found');
    expect(await h.code('chat.history', owner, { roomId, limit: 101 })).toBe('bad_request');
  });

  it('lists who reacted in chat.history, at most REACTED_BY_MAX per emoji, with the exact count', async () => {
    const { roomId, owner } = await h.room();
    const msg = (await h.req('chat.send', owner, { roomId, text: 'popular', clientMsgId: 'p' })).message;
    const fans: Caller[] = [];
    for (let i = 0; i < REACTED_BY_MAX + 3; i++) fans.push(await h.joined(roomId));
    for (const fan of fans) await h.req('chat.react', fan, { roomId, messageId: msg.id, emoji: '❤️', on: true });
    const [view] = (await h.req('chat.history', fans[0], { roomId })).messages;
    expect(view.reactions).toEqual({ '❤️': REACTED_BY_MAX + 3 });
    expect(view.reactedBy['❤️']).toEqual(fans.slice(0, REACTED_BY_MAX).map((f) => f.userId));
    expect(view.myReactions).toEqual(['❤️']);
  });

  it('replies, edits, deletes (soft), reactions, pins and read receipts, with their events', async () => {
    const { roomId, owner } = await h.room();
    const bob = await h.joined(roomId);
    const log = await h.watchRoom(roomId);
    const first = (await h.req('chat.send', bob, { roomId, text: 'first', clientMsgId: 'a' })).message;
    const reply = (await h.req('chat.send', owner, { roomId, text: 're', clientMsgId: 'b', replyTo: first.id })).message;
    expect(reply.replyTo).toBe(first.id);

    const edited = (await h.req('chat.edit', bob, { roomId, messageId: first.id, text: 'first!' })).message;
    expect(edited).toMatchObject({ text: 'first!', editedAt: expect.any(Number) });
    expect((await log.waitFor('chat.edited')).data.message.text).toBe('first!');

    await h.req('chat.react', owner, { roomId, messageId: first.id, emoji: '👍', on: true });
    await h.req('chat.react', bob, { roomId, messageId: first.id, emoji: '👍', on: true });
    await h.req('chat.react', bob, { roomId, messageId: first.id, emoji: '👍', on: true });
    await h.req('chat.react', bob, { roomId, messageId: first.id, emoji: '🎉', on: true });
    await h.req('chat.react', bob, { roomId, messageId: first.id, emoji: '🎉', on: false });
    await h.waitUntil(() => log.of('chat.reaction').length === 4);
    expect(log.of('chat.reaction')[3].data).toEqual({ messageId: first.id, emoji: '🎉', userId: bob.userId, on: false });

    await h.req('chat.pin', owner, { roomId, messageId: first.id, pinned: true });
    expect((await log.waitFor('chat.pinned')).data).toEqual({ messageId: first.id, pinned: true });
    await h.req('chat.read', owner, { roomId, messageId: first.id });
    expect((await log.waitFor('chat.read')).data).toEqual({ userId: owner.userId, messageId: first.id });

    let hist = (await h.req('chat.history', owner, { roomId })).messages;
    expect(hist[0]).toMatchObject({ id: first.id, reactions: { '👍': 2 }, reactedBy: { '👍': [owner.userId, bob.userId] }, myReactions: ['👍'], pinned: true, text: 'first!' });
    // "you reacted" is the reader's own: bob's history says so for bob, a third member's for nobody.
    expect((await h.req('chat.history', bob, { roomId })).messages[0].myReactions).toEqual(['👍']);
    const carol = await h.joined(roomId);
    expect((await h.req('chat.history', carol, { roomId })).messages[0]).toMatchObject({ myReactions: [], reactedBy: { '👍': [owner.userId, bob.userId] } });

    // owner (staff) deletes bob's message; deleting again is a quiet no-op
    await h.req('chat.delete', owner, { roomId, messageId: first.id });
    await h.req('chat.delete', owner, { roomId, messageId: first.id });
    expect((await log.waitFor('chat.deleted')).data).toEqual({ messageId: first.id });
    hist = (await h.req('chat.history', owner, { roomId })).messages;
    expect(hist[0]).toMatchObject({ id: first.id, deleted: true, text: '', attachments: [] });
    expect(await h.code('chat.edit', bob, { roomId, messageId: first.id, text: 'x' })).toBe('not_found');
    expect(await h.code('chat.react', bob, { roomId, messageId: first.id, emoji: '👍', on: true })).toBe('not_found');
    await h.waitUntil(() => log.of('chat.deleted').length === 1);
    const seqs = log.events.map((e) => e.seq);
    expect(seqs).toEqual(seqs.map((_, i) => seqs[0] + i));
  });

  it('refuses non-members, other authors, members pinning, unknown targets and bad input', async () => {
    const { roomId, owner } = await h.room();
    const bob = await h.joined(roomId);
    const carol = await h.joined(roomId);
    const stranger = h.caller();
    const msg = (await h.req('chat.send', owner, { roomId, text: 'x', clientMsgId: 'r1' })).message;
    expect(await h.code('chat.send', stranger, { roomId, text: 'x', clientMsgId: 'r2' })).toBe('forbidden');
    expect(await h.code('chat.history', stranger, { roomId })).toBe('forbidden');
    expect(await h.code('chat.send', bob, { roomId: 'r_nope', text: 'x', clientMsgId: 'r3' })).toBe('not_found');
    expect(await h.code('chat.send', bob, { roomId, text: 'x', clientMsgId: 'r4', replyTo: 'm_nope' })).toBe('not_found');
    expect(await h.code('chat.edit', bob, { roomId, messageId: msg.id, text: 'y' })).toBe('forbidden');
    expect(await h.code('chat.delete', bob, { roomId, messageId: msg.id })).toBe('forbidden');
    expect(await h.code('chat.pin', bob, { roomId, messageId: msg.id, pinned: true })).toBe('forbidden');
    expect(await h.code('chat.read', bob, { roomId, messageId: 'm_nope' })).toBe('not_found');
    const bobs = (await h.req('chat.send', bob, { roomId, text: 'mine', clientMsgId: 'r5' })).message;
    expect(await h.code('chat.delete', carol, { roomId, messageId: bobs.id })).toBe('forbidden');
    expect(await h.code('chat.delete', bob, { roomId, messageId: bobs.id })).toBe('ok');
    for (const [verb, data] of [
      ['chat.send', { roomId, text: '', clientMsgId: 'e' }],
      ['chat.send', { roomId, text: 'x'.repeat(8001), clientMsgId: 'e' }],
      ['chat.send', { roomId, text: 'x' }],
      ['chat.send', { roomId, text: 'x', clientMsgId: 'e', attachments: 'nope' }],
      ['chat.react', { roomId, messageId: msg.id, emoji: '', on: true }],
      ['chat.typing', { roomId, typing: 'yes' }],
    ] as const) {
      expect(await h.code(verb, bob, data), verb).toBe('bad_request');
    }
  });

  it('typing is ephemeral (no seq) and lapses after TYPING_TTL_MS', async () => {
    const { roomId, owner } = await h.room();
    const log = await h.watchRoom(roomId);
    await h.req('chat.typing', owner, { roomId, typing: true });
    const on = await log.waitFor('chat.typing');
    expect(on).toMatchObject({ seq: 0, data: { userId: owner.userId, typing: true } });
    const off = await log.waitFor('chat.typing', (e) => e.data.typing === false);
    expect(off).toMatchObject({ seq: 0, data: { userId: owner.userId, typing: false } });
    expect(await h.code('chat.typing', h.caller(uid('x')), { roomId, typing: true })).toBe('forbidden');
  });
});

describe('chat: a burst of plain sends on one replica (group commit, one INCRBY per room and batch: ADR 0084)', () => {
  let h: RoomsHarness;
  beforeAll(async () => {
    h = await RoomsHarness.start(1);
  });
  afterAll(() => h.stop());

  it('announces each stored message once, under gap-free seqs published in seq order, each event the reply’s message', async () => {
    const { roomId, owner } = await h.room();
    const members = [owner, ...(await Promise.all([1, 2, 3].map(() => h.joined(roomId))))];
    const other = await h.room();
    const log = await h.watchRoom(roomId);
    const otherLog = await h.watchRoom(other.roomId);
    // Sent together, so rooms reads them in a few NATS reads and stores each read's sends in one statement.
    const sends = Array.from({ length: 24 }, (_, i) => h.req<{ message: { id: string } }>('chat.send', members[i % 4]!, { roomId, text: `b${i}`, clientMsgId: `b-${i}` }));
    const others = Array.from({ length: 6 }, (_, i) => h.req<{ message: { id: string } }>('chat.send', other.owner, { roomId: other.roomId, text: `o${i}`, clientMsgId: `o-${i}` }));
    const replies = await Promise.all(sends);
    await Promise.all(others);
    await h.waitUntil(() => log.of('chat.message').length >= 24 && otherLog.of('chat.message').length >= 6);
    for (const [events, n] of [
      [log.of('chat.message'), 24],
      [otherLog.of('chat.message'), 6],
    ] as const) {
      const seqs = events.map((e) => e.seq);
      // One replica publishes a room's events in seq order, and no seq is skipped or repeated.
      expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));
      expect(new Set(events.map((e) => e.data.message.id)).size).toBe(n);
    }
    const byId = new Map(log.of('chat.message').map((e) => [e.data.message.id, e.data.message]));
    for (const r of replies) expect(byId.get(r.message.id)).toEqual(r.message);
    const history = (await h.req<{ messages: { id: string }[] }>('chat.history', owner, { roomId, limit: 100 })).messages;
    expect(new Set(history.map((m) => m.id))).toEqual(new Set(replies.map((r) => r.message.id)));
  });
});
