import { randomBytes } from 'node:crypto';
import { loadConfig, ObjectStorage, objectStorageConfigSchema, type Caller } from '@switchboard/platform';
import { customEmojiName } from '@switchboard/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { putPresigned as put, s3TestEnv, TINY_PNG } from '../../../../test/support/stack.js';
import { FAST_TIMERS, RoomsHarness, until } from '../testing/harness.test.js';

const LIMITS = {
  EMOJI_MAX_PER_ROOM: '2',
  EMOJI_MAX_BYTES: '1024',
  REACTIONS_MAX_DISTINCT: '3',
  // Unsent uploads are collected after twice this: the test waits for that to prove emoji images stay.
  // 3 s, not less (issue 12): it is also the presigned PUT's validity (1 s granularity), which a
  // loaded box must still meet between emoji.upload and the PUT.
  ATTACHMENT_UPLOAD_TTL_S: '3',
  ATTACHMENT_GC_INTERVAL_MS: '200',
};

const PNG = TINY_PNG;

// Concurrent (issue 12, ADR 0103): the GC test waits twice the upload TTL; the others, each in a
// room of its own, run meanwhile instead of after it.
describe.concurrent('custom emoji (ADR 0051; real S3-compatible server)', () => {
  let h: RoomsHarness;
  const s3 = new ObjectStorage(loadConfig(objectStorageConfigSchema, s3TestEnv()));
  beforeAll(async () => {
    h = await RoomsHarness.start(2, { ...FAST_TIMERS, ...LIMITS });
  });
  afterAll(async () => {
    await h.stop();
    s3.onModuleDestroy();
  });

  /** emoji.upload → presigned PUT → emoji.create, as a client does. */
  async function addEmoji(roomId: string, by: Caller, name: string, body = PNG, contentType = 'image/png') {
    const up = await h.req('emoji.upload', by, { roomId, name, size: body.length, contentType });
    expect(await put(up.upload, body)).toBe(200);
    return { attachmentId: up.attachmentId as string, emoji: (await h.req('emoji.create', by, { roomId, name, attachmentId: up.attachmentId })).emoji };
  }

  it('a moderator uploads an image through the presigned URL; room.get lists it, members download it and react with :name:', async () => {
    const { roomId, owner } = await h.room();
    const mod = await h.joined(roomId);
    await h.req('room.set_role', owner, { roomId, userId: mod.userId, role: 'moderator' });
    const bob = await h.joined(roomId);
    const log = await h.watchRoom(roomId);

    const { attachmentId, emoji } = await addEmoji(roomId, mod, 'party_parrot');
    expect(emoji).toEqual({ name: 'party_parrot', attachmentId, contentType: 'image/png', size: PNG.length, createdBy: mod.userId, createdAt: expect.any(Number) });
    expect((await log.waitFor('emoji.created')).data.emoji).toEqual(emoji);
    expect((await h.req('room.get', bob, { roomId })).emoji).toEqual([emoji]);

    const { download } = await h.req('chat.download', bob, { roomId, attachmentId });
    const res = await fetch(download.url);
    expect(Buffer.from(await res.arrayBuffer()).equals(PNG)).toBe(true);
    expect(await h.code('chat.download', h.caller(), { roomId, attachmentId })).toBe('forbidden');

    const msg = (await h.req('chat.send', bob, { roomId, text: 'look :party_parrot: and :unknown_one:', clientMsgId: 'e1' })).message;
    expect(msg.text).toBe('look :party_parrot: and :unknown_one:');
    await h.req('chat.react', bob, { roomId, messageId: msg.id, emoji: ':party_parrot:', on: true });
    expect((await log.waitFor('chat.reaction')).data).toEqual({ messageId: msg.id, emoji: ':party_parrot:', userId: bob.userId, on: true });
    expect((await h.req('chat.history', bob, { roomId })).messages[0]).toMatchObject({ reactions: { ':party_parrot:': 1 }, myReactions: [':party_parrot:'] });

    // unknown custom names are refused; text that is not `:name:` is any emoji
    const unknown = await h.req('chat.react', bob, { roomId, messageId: msg.id, emoji: ':unknown_one:', on: true }).catch((e) => e);
    expect(unknown).toMatchObject({ code: 'not_found' });
    expect(await h.code('chat.react', bob, { roomId, messageId: msg.id, emoji: ':)', on: true })).toBe('ok');
    expect(customEmojiName(':party_parrot:')).toBe('party_parrot');
    expect(customEmojiName('🎉')).toBeUndefined();

    // the image cannot be sent as a message's attachment (deleting that message would take the emoji's image)
    expect(await h.code('chat.send', mod, { roomId, text: 'x', clientMsgId: 'e2', attachments: [{ attachmentId }] })).toBe('conflict');

    // delete: event, listing, image object gone, new reactions refused, old ones can be removed
    await h.req('emoji.delete', owner, { roomId, name: 'party_parrot' });
    expect((await log.waitFor('emoji.deleted')).data).toEqual({ name: 'party_parrot' });
    expect((await h.req('room.get', bob, { roomId })).emoji).toEqual([]);
    expect(await s3.head(`rooms/${roomId}/attachments/${attachmentId}`)).toBeNull();
    expect(await h.code('chat.react', owner, { roomId, messageId: msg.id, emoji: ':party_parrot:', on: true })).toBe('not_found');
    expect(await h.code('chat.react', bob, { roomId, messageId: msg.id, emoji: ':party_parrot:', on: false })).toBe('ok');
    expect(await h.code('emoji.delete', owner, { roomId, name: 'party_parrot' })).toBe('not_found');
    expect(await h.code('chat.download', bob, { roomId, attachmentId })).toBe('not_found');
  });

  it('members cannot upload, create or delete emoji: forbidden', async () => {
    const { roomId, owner } = await h.room();
    const member = await h.joined(roomId);
    await addEmoji(roomId, owner, 'ok_hand');
    expect(await h.code('emoji.upload', member, { roomId, name: 'mine', size: PNG.length, contentType: 'image/png' })).toBe('forbidden');
    // a member's own upload (chat.upload) cannot be made an emoji either
    const up = await h.req('chat.upload', member, { roomId, name: 'e.png', size: PNG.length, contentType: 'image/png' });
    expect(await put(up.upload, PNG)).toBe(200);
    expect(await h.code('emoji.create', member, { roomId, name: 'mine', attachmentId: up.attachmentId })).toBe('forbidden');
    expect(await h.code('emoji.delete', member, { roomId, name: 'ok_hand' })).toBe('forbidden');
    expect(await h.code('emoji.delete', h.caller(), { roomId, name: 'ok_hand' })).toBe('forbidden');
    expect((await h.req('room.get', member, { roomId })).emoji.map((e: { name: string }) => e.name)).toEqual(['ok_hand']);
  });

  it('limits: emoji per room, name pattern, image types and size (refused before any byte is stored), unique names, claim checks', async () => {
    const { roomId, owner } = await h.room();
    for (const name of ['a', 'x'.repeat(33), 'Caps', 'with space', ':colons:', '_lead', 'ünï']) {
      expect(await h.code('emoji.upload', owner, { roomId, name, size: PNG.length, contentType: 'image/png' }), name).toBe('bad_request');
    }
    expect(await h.code('emoji.upload', owner, { roomId, name: 'svg', size: 100, contentType: 'image/svg+xml' })).toBe('bad_request');
    expect(await h.code('emoji.upload', owner, { roomId, name: 'big', size: 1025, contentType: 'image/gif' })).toBe('too_large');
    expect(await s3.list(`rooms/${roomId}/`)).toEqual([]);

    // a chat.upload that is not an emoji image cannot be claimed
    const pdf = await h.req('chat.upload', owner, { roomId, name: 'x.pdf', size: 10, contentType: 'application/pdf' });
    expect(await put(pdf.upload, randomBytes(10))).toBe(200);
    expect(await h.code('emoji.create', owner, { roomId, name: 'pdf', attachmentId: pdf.attachmentId })).toBe('bad_request');
    const huge = await h.req('chat.upload', owner, { roomId, name: 'h.png', size: 2000, contentType: 'image/png' });
    expect(await h.code('emoji.create', owner, { roomId, name: 'huge', attachmentId: huge.attachmentId })).toBe('too_large');
    // reserved but never PUT
    const empty = await h.req('emoji.upload', owner, { roomId, name: 'empty', size: PNG.length, contentType: 'image/png' });
    expect(await h.code('emoji.create', owner, { roomId, name: 'empty', attachmentId: empty.attachmentId })).toBe('bad_request');
    expect(await h.code('emoji.create', owner, { roomId, name: 'nope', attachmentId: 'a_unknown' })).toBe('not_found');

    const first = await addEmoji(roomId, owner, 'wave', PNG, 'image/webp');
    expect(first.emoji.contentType).toBe('image/webp');
    expect(await h.code('emoji.upload', owner, { roomId, name: 'wave', size: PNG.length, contentType: 'image/png' })).toBe('conflict');
    const dup = await h.req('emoji.upload', owner, { roomId, name: 'wave2', size: PNG.length, contentType: 'image/png' });
    expect(await put(dup.upload, PNG)).toBe(200);
    expect(await h.code('emoji.create', owner, { roomId, name: 'wave', attachmentId: dup.attachmentId })).toBe('conflict');
    // already an emoji: not claimable again under another name
    expect(await h.code('emoji.create', owner, { roomId, name: 'wave3', attachmentId: first.attachmentId })).toBe('conflict');
    await h.req('emoji.create', owner, { roomId, name: 'wave2', attachmentId: dup.attachmentId });
    // the room is full (2)
    expect(await h.code('emoji.upload', owner, { roomId, name: 'third', size: PNG.length, contentType: 'image/png' })).toBe('forbidden');
    expect((await h.req('room.get', owner, { roomId })).emoji.map((e: { name: string }) => e.name)).toEqual(['wave', 'wave2']);
  });

  it('caps distinct reactions per message (too_large); existing emoji can still be added', async () => {
    const { roomId, owner } = await h.room();
    const bob = await h.joined(roomId);
    const msg = (await h.req('chat.send', owner, { roomId, text: 'react', clientMsgId: 'r1' })).message;
    for (const emoji of ['👍', '🎉', '❤️']) await h.req('chat.react', owner, { roomId, messageId: msg.id, emoji, on: true });
    const err = await h.req('chat.react', bob, { roomId, messageId: msg.id, emoji: '🚀', on: true }).catch((e) => e);
    expect(err).toMatchObject({ code: 'too_large' });
    // concurrent new emoji on both replicas: none gets past the cap
    const codes = await Promise.all(['a', 'b', 'c', 'd'].map((emoji) => h.code('chat.react', bob, { roomId, messageId: msg.id, emoji, on: true })));
    expect(codes).toEqual(['too_large', 'too_large', 'too_large', 'too_large']);
    expect(await h.code('chat.react', bob, { roomId, messageId: msg.id, emoji: '🎉', on: true })).toBe('ok');
    await h.req('chat.react', owner, { roomId, messageId: msg.id, emoji: '👍', on: false });
    expect(await h.code('chat.react', bob, { roomId, messageId: msg.id, emoji: '🚀', on: true })).toBe('ok');
    expect((await h.req('chat.history', owner, { roomId })).messages[0].reactions).toEqual({ '🎉': 2, '❤️': 1, '🚀': 1 });
  });

  it('the garbage collection removes unsent uploads but keeps emoji images; closing the room removes them', async () => {
    const { roomId, owner } = await h.room();
    const { attachmentId } = await addEmoji(roomId, owner, 'keeper');
    const unsent = await h.req('chat.upload', owner, { roomId, name: 'u.png', size: 10, contentType: 'image/png' });
    expect(await put(unsent.upload, randomBytes(10))).toBe(200);
    const key = (id: string) => `rooms/${roomId}/attachments/${id}`;
    await until(async () => (await s3.head(key(unsent.attachmentId))) === null, 'unsent upload collected', 30_000, 200);
    expect(await s3.head(key(attachmentId))).not.toBeNull();
    expect((await h.req('room.get', owner, { roomId })).emoji.map((e: { name: string }) => e.name)).toEqual(['keeper']);
    await h.req('room.close', owner, { roomId });
    await until(async () => (await s3.list(`rooms/${roomId}/`)).length === 0, 'objects of the closed room deleted', 20_000, 200);
  });
});
