import { LIMITS } from '@switchboard/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAST_TIMERS, RoomsHarness, uid } from '../testing/harness.test.js';

const MAX_CHANNELS = 4;

describe('channels: named text threads of a room (ADR 0050)', () => {
  let h: RoomsHarness;
  beforeAll(async () => {
    h = await RoomsHarness.start(2, { ...FAST_TIMERS, CHANNELS_MAX_PER_ROOM: String(MAX_CHANNELS) });
  });
  afterAll(() => h.stop());

  it('owner and moderators create, rename, archive and reorder; members see room events and room.get lists them', async () => {
    const { roomId, owner } = await h.room();
    const mod = await h.joined(roomId);
    await h.req('room.set_role', owner, { roomId, userId: mod.userId, role: 'moderator' });
    const member = await h.joined(roomId);
    const log = await h.watchRoom(roomId);

    const general = (await h.req('channel.create', owner, { roomId, name: 'general' })).channel;
    expect(general).toMatchObject({ id: expect.any(String), name: 'general', position: 0, archived: false, createdBy: owner.userId });
    const random = (await h.req('channel.create', mod, { roomId, name: 'random_ünï-2' })).channel;
    expect(random.position).toBe(1);
    expect((await log.waitFor('channel.created', (e) => e.data.channel.id === random.id)).data.channel).toEqual(random);

    const renamed = (await h.req('channel.rename', mod, { roomId, channelId: random.id, name: 'offtopic' })).channel;
    expect(renamed).toMatchObject({ id: random.id, name: 'offtopic' });
    expect((await log.waitFor('channel.updated')).data.channel).toEqual(renamed);

    const archived = (await h.req('channel.archive', owner, { roomId, channelId: general.id, archived: true })).channel;
    expect(archived.archived).toBe(true);
    expect((await log.waitFor('channel.updated', (e) => e.data.channel.archived)).data.channel.id).toBe(general.id);

    const reordered = await h.req('channel.reorder', mod, { roomId, channelIds: [random.id, general.id] });
    expect(reordered.channels.map((c: { id: string; position: number }) => [c.id, c.position])).toEqual([
      [random.id, 0],
      [general.id, 1],
    ]);
    expect((await log.waitFor('channel.reordered')).data).toEqual({ channelIds: [random.id, general.id] });

    // every member sees the channels (by position, archived included) in room.get
    const got = await h.req('room.get', member, { roomId });
    expect(got.channels).toEqual([
      { ...renamed, position: 0 },
      { ...archived, position: 1 },
    ]);
    // channel events are ordinary room events: one seq stream
    const seqs = log.of('channel.created').concat(log.of('channel.updated'), log.of('channel.reordered')).map((e) => e.seq);
    expect(seqs.every((s) => s > 0)).toBe(true);
    expect(new Set(seqs).size).toBe(seqs.length);
  });

  it('members (and strangers) cannot create, rename, archive or reorder: forbidden', async () => {
    const { roomId, owner } = await h.room();
    const member = await h.joined(roomId);
    const stranger = h.caller();
    const ch = (await h.req('channel.create', owner, { roomId, name: 'news' })).channel;
    for (const who of [member, stranger]) {
      expect(await h.code('channel.create', who, { roomId, name: 'mine' })).toBe('forbidden');
      expect(await h.code('channel.rename', who, { roomId, channelId: ch.id, name: 'mine' })).toBe('forbidden');
      expect(await h.code('channel.archive', who, { roomId, channelId: ch.id, archived: true })).toBe('forbidden');
      expect(await h.code('channel.reorder', who, { roomId, channelIds: [ch.id] })).toBe('forbidden');
    }
    expect((await h.req('room.get', owner, { roomId })).channels).toEqual([ch]);
  });

  it('limits: channels per room, name length and charset, unique names, reorder input size and shape', async () => {
    const { roomId, owner } = await h.room();
    const ids: string[] = [];
    for (let i = 0; i < MAX_CHANNELS; i++) ids.push((await h.req('channel.create', owner, { roomId, name: `c${i}` })).channel.id);
    expect(await h.code('channel.create', owner, { roomId, name: 'one-more' })).toBe('forbidden');
    // archived channels still count
    await h.req('channel.archive', owner, { roomId, channelId: ids[0], archived: true });
    expect(await h.code('channel.create', owner, { roomId, name: 'one-more' })).toBe('forbidden');
    expect((await h.req('room.get', owner, { roomId })).channels).toHaveLength(MAX_CHANNELS);

    const other = await h.room();
    expect(await h.code('channel.create', other.owner, { roomId: other.roomId, name: 'x'.repeat(32) })).toBe('ok');
    for (const name of ['', 'x'.repeat(33), 'Has-Caps', 'with space', '-leading', 'dot.ted', 'emoji😀', 'nul\u0000']) {
      expect(await h.code('channel.create', other.owner, { roomId: other.roomId, name }), JSON.stringify(name)).toBe('bad_request');
    }
    await h.req('channel.create', other.owner, { roomId: other.roomId, name: 'taken' });
    expect(await h.code('channel.create', other.owner, { roomId: other.roomId, name: 'taken' })).toBe('conflict');
    const b = (await h.req('channel.create', other.owner, { roomId: other.roomId, name: 'b' })).channel;
    expect(await h.code('channel.rename', other.owner, { roomId: other.roomId, channelId: b.id, name: 'taken' })).toBe('conflict');
    expect(await h.code('channel.rename', other.owner, { roomId: other.roomId, channelId: 'ch_nope', name: 'zz' })).toBe('not_found');
    // a channel of another room is not this room's
    expect(await h.code('channel.rename', owner, { roomId, channelId: b.id, name: 'zz' })).toBe('not_found');

    // reorder: bounded by the protocol, and must name every channel exactly once
    const tooMany = Array.from({ length: LIMITS.channelsPerRoom + 1 }, (_, i) => `ch_${i}`);
    expect(await h.code('channel.reorder', owner, { roomId, channelIds: tooMany })).toBe('bad_request');
    expect(await h.code('channel.reorder', owner, { roomId, channelIds: [] })).toBe('bad_request');
    expect(await h.code('channel.reorder', owner, { roomId, channelIds: ids.slice(1) })).toBe('bad_request');
    expect(await h.code('channel.reorder', owner, { roomId, channelIds: [...ids.slice(1), ids[1]] })).toBe('bad_request');
    expect(await h.code('channel.reorder', owner, { roomId, channelIds: [...ids.slice(1), b.id] })).toBe('bad_request');
    const reversed = [...ids].reverse();
    expect((await h.req('channel.reorder', owner, { roomId, channelIds: reversed })).channels.map((c: { id: string }) => c.id)).toEqual(reversed);
  });

  it('history and read receipts are per channel; the default channel is the one without channelId', async () => {
    const { roomId, owner } = await h.room();
    const bob = await h.joined(roomId);
    const dev = (await h.req('channel.create', owner, { roomId, name: 'dev' })).channel;
    const ops = (await h.req('channel.create', owner, { roomId, name: 'ops' })).channel;
    const log = await h.watchRoom(roomId);

    const inDefault = (await h.req('chat.send', owner, { roomId, text: 'lobby', clientMsgId: 'd1' })).message;
    expect(inDefault.channelId).toBeUndefined();
    const dev1 = (await h.req('chat.send', bob, { roomId, channelId: dev.id, text: 'dev 1', clientMsgId: 'x1' })).message;
    const dev2 = (await h.req('chat.send', owner, { roomId, channelId: dev.id, text: 'dev 2', clientMsgId: 'x2' })).message;
    const ops1 = (await h.req('chat.send', owner, { roomId, channelId: ops.id, text: 'ops 1', clientMsgId: 'x3' })).message;
    expect(dev1.channelId).toBe(dev.id);
    expect((await log.waitFor('chat.message', (e) => e.data.message.id === ops1.id)).data.message.channelId).toBe(ops.id);

    const ids = async (channelId?: string) => (await h.req('chat.history', bob, { roomId, channelId })).messages.map((m: { id: string }) => m.id);
    expect(await ids()).toEqual([inDefault.id]);
    expect(await ids(dev.id)).toEqual([dev1.id, dev2.id]);
    expect(await ids(ops.id)).toEqual([ops1.id]);
    // paging cursors belong to the channel paged
    expect((await h.req('chat.history', bob, { roomId, channelId: dev.id, after: dev1.id })).messages.map((m: { id: string }) => m.id)).toEqual([dev2.id]);
    expect(await h.code('chat.history', bob, { roomId, channelId: dev.id, before: ops1.id })).toBe('not_found');
    expect(await h.code('chat.history', bob, { roomId, channelId: 'ch_nope' })).toBe('not_found');
    // a reply stays in its channel
    expect(await h.code('chat.send', bob, { roomId, channelId: ops.id, text: 're', clientMsgId: 'x4', replyTo: dev1.id })).toBe('not_found');
    expect((await h.req('chat.send', bob, { roomId, channelId: dev.id, text: 're', clientMsgId: 'x5', replyTo: dev1.id })).message.replyTo).toBe(dev1.id);

    // receipts: one per user and channel; reading in one channel leaves the others alone
    await h.req('chat.read', bob, { roomId, channelId: dev.id, messageId: dev2.id });
    await h.req('chat.read', bob, { roomId, messageId: ops1.id }); // a message names its channel
    await h.req('chat.read', bob, { roomId, messageId: inDefault.id });
    expect((await log.waitFor('chat.read', (e) => e.data.messageId === dev2.id)).data).toEqual({ userId: bob.userId, messageId: dev2.id, channelId: dev.id });
    expect((await log.waitFor('chat.read', (e) => e.data.messageId === inDefault.id)).data).toEqual({ userId: bob.userId, messageId: inDefault.id });
    expect((await h.req('chat.history', bob, { roomId, channelId: dev.id })).lastReadId).toBe(dev2.id);
    expect((await h.req('chat.history', bob, { roomId, channelId: ops.id })).lastReadId).toBe(ops1.id);
    expect((await h.req('chat.history', bob, { roomId })).lastReadId).toBe(inDefault.id);
    await h.req('chat.read', bob, { roomId, channelId: dev.id, messageId: dev1.id });
    expect((await h.req('chat.history', bob, { roomId, channelId: dev.id })).lastReadId).toBe(dev1.id);
    expect((await h.req('chat.history', bob, { roomId, channelId: ops.id })).lastReadId).toBe(ops1.id);
    // the owner has read nothing; a channelId that is not the message's is refused
    expect((await h.req('chat.history', owner, { roomId, channelId: dev.id })).lastReadId).toBeUndefined();
    expect(await h.code('chat.read', bob, { roomId, channelId: ops.id, messageId: dev2.id })).toBe('not_found');

    // events about a message carry its channel
    await h.req('chat.react', owner, { roomId, messageId: dev1.id, emoji: '👍', on: true });
    await h.req('chat.pin', owner, { roomId, channelId: dev.id, messageId: dev1.id, pinned: true });
    await h.req('chat.delete', owner, { roomId, messageId: ops1.id });
    expect((await log.waitFor('chat.reaction')).data.channelId).toBe(dev.id);
    expect((await log.waitFor('chat.pinned')).data.channelId).toBe(dev.id);
    expect((await log.waitFor('chat.deleted')).data).toEqual({ messageId: ops1.id, channelId: ops.id });
  });

  it('typing is per channel', async () => {
    const { roomId, owner } = await h.room();
    const dev = (await h.req('channel.create', owner, { roomId, name: 'dev' })).channel;
    const log = await h.watchRoom(roomId);
    await h.req('chat.typing', owner, { roomId, channelId: dev.id, typing: true });
    const on = await log.waitFor('chat.typing');
    expect(on).toMatchObject({ seq: 0, data: { userId: owner.userId, typing: true, channelId: dev.id } });
    // it lapses in the same channel
    const off = await log.waitFor('chat.typing', (e) => e.data.typing === false);
    expect(off.data).toEqual({ userId: owner.userId, typing: false, channelId: dev.id });
    await h.req('chat.typing', owner, { roomId, typing: true });
    expect((await log.waitFor('chat.typing', (e) => e.data.typing && e.data.channelId === undefined)).data).toEqual({ userId: owner.userId, typing: true });
    expect(await h.code('chat.typing', owner, { roomId, channelId: 'ch_nope', typing: true })).toBe('not_found');
  });

  it('an archived channel keeps its history but refuses sends, edits, reactions and typing (conflict); restoring reopens it', async () => {
    const { roomId, owner } = await h.room();
    const bob = await h.joined(roomId);
    const old = (await h.req('channel.create', owner, { roomId, name: 'old' })).channel;
    const kept = (await h.req('chat.send', bob, { roomId, channelId: old.id, text: 'kept', clientMsgId: 'k1' })).message;
    await h.req('channel.archive', owner, { roomId, channelId: old.id, archived: true });

    const err = await h.req('chat.send', bob, { roomId, channelId: old.id, text: 'new', clientMsgId: 'k2' }).catch((e) => e);
    expect(err).toMatchObject({ code: 'conflict' });
    expect(await h.code('chat.edit', bob, { roomId, messageId: kept.id, text: 'changed' })).toBe('conflict');
    expect(await h.code('chat.react', bob, { roomId, messageId: kept.id, emoji: '👍', on: true })).toBe('conflict');
    expect(await h.code('chat.typing', bob, { roomId, channelId: old.id, typing: true })).toBe('conflict');
    // a retried send of a message stored before the archive still answers with it
    expect((await h.req('chat.send', bob, { roomId, channelId: old.id, text: 'kept', clientMsgId: 'k1' })).message.id).toBe(kept.id);
    // reading and receipts still work; the default channel is unaffected
    expect((await h.req('chat.history', bob, { roomId, channelId: old.id })).messages.map((m: { text: string }) => m.text)).toEqual(['kept']);
    await h.req('chat.read', bob, { roomId, channelId: old.id, messageId: kept.id });
    expect(await h.code('chat.send', bob, { roomId, text: 'elsewhere', clientMsgId: 'k3' })).toBe('ok');

    await h.req('channel.archive', owner, { roomId, channelId: old.id, archived: false });
    expect(await h.code('chat.send', bob, { roomId, channelId: old.id, text: 'again', clientMsgId: 'k4' })).toBe('ok');
    expect(await h.code('chat.send', bob, { roomId, channelId: uid('ch'), text: 'x', clientMsgId: 'k5' })).toBe('not_found');
  });
});
