import { randomBytes } from 'node:crypto';
import { loadConfig, ObjectStorage, objectStorageConfigSchema } from '@switchboard/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { putPresigned as put, s3TestEnv } from '../../../../test/support/stack.js';
import { FAST_TIMERS, RoomsHarness, until } from '../testing/harness.test.js';
import { typeAllowed } from './attachments.service.js';

const LIMITS = {
  ATTACHMENT_MAX_BYTES: '4096',
  ATTACHMENT_USER_QUOTA_BYTES: '10000',
  ATTACHMENT_MAX_PENDING: '3',
  ATTACHMENT_URL_TTL_S: '3',
  ATTACHMENT_GC_INTERVAL_MS: '200',
};


describe('attachments in object storage (real S3-compatible server)', () => {
  let h: RoomsHarness;
  const s3 = new ObjectStorage(loadConfig(objectStorageConfigSchema, s3TestEnv()));
  beforeAll(async () => {
    h = await RoomsHarness.start(2, { ...FAST_TIMERS, ...LIMITS });
  });
  afterAll(async () => {
    await h.stop();
    s3.onModuleDestroy();
  });

  it('uploads through the presigned URL, sends it, members download it, a non-member cannot, the URL expires', async () => {
    const { roomId, owner } = await h.room();
    const bob = await h.joined(roomId);
    const body = randomBytes(3000);
    const up = await h.req('chat.upload', owner, { roomId, name: 'cat picture.png', size: body.length, contentType: 'image/png' });
    expect(up.upload).toMatchObject({ method: 'PUT', headers: { 'content-type': 'image/png', 'content-length': '3000' } });
    expect(await put(up.upload, body)).toBe(200);
    const sent = await h.req('chat.send', owner, { roomId, text: 'look', clientMsgId: 'att-1', attachments: [{ attachmentId: up.attachmentId }, { url: 'https://example.org/x' }] });
    expect(sent.message.attachments).toEqual([{ attachmentId: up.attachmentId, name: 'cat picture.png', contentType: 'image/png', size: 3000 }, { url: 'https://example.org/x' }]);
    // retried send: same message, nothing re-checked
    expect((await h.req('chat.send', owner, { roomId, text: 'look', clientMsgId: 'att-1', attachments: [{ attachmentId: up.attachmentId }] })).message.id).toBe(sent.message.id);

    const { download } = await h.req('chat.download', bob, { roomId, attachmentId: up.attachmentId });
    const res = await fetch(download.url);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(body)).toBe(true);

    const stranger = h.caller();
    expect(await h.code('chat.download', stranger, { roomId, attachmentId: up.attachmentId })).toBe('forbidden');
    // a member of another room cannot reach it through their own room either
    const other = await h.room({}, stranger);
    expect(await h.code('chat.download', stranger, { roomId: other.roomId, attachmentId: up.attachmentId })).toBe('not_found');

    const status = await until(
      async () => {
        const r = await fetch(download.url);
        await r.arrayBuffer();
        return r.status === 403 ? 403 : undefined;
      },
      'download URL expiry',
      20_000,
      250,
    );
    expect(status).toBe(403);
  });

  it('refuses oversize files and unaccepted types before any byte is stored; caps quota and pending uploads', async () => {
    const { roomId, owner } = await h.room();
    expect(await h.code('chat.upload', owner, { roomId, name: 'big.bin', size: 4097, contentType: 'image/png' })).toBe('too_large');
    expect(await h.code('chat.upload', owner, { roomId, name: 'x.exe', size: 10, contentType: 'application/x-msdownload' })).toBe('bad_request');
    expect(await h.code('chat.upload', owner, { roomId, name: 'x', size: 10, contentType: 'Image/PNG; x=1' })).toBe('bad_request');
    expect(await s3.list(`rooms/${roomId}/`)).toEqual([]);

    const outsider = h.caller();
    expect(await h.code('chat.upload', outsider, { roomId, name: 'a.png', size: 10, contentType: 'image/png' })).toBe('forbidden');

    // three pending uploads at most, and 10000 bytes per user (pending ones count)
    for (let i = 0; i < 3; i++) await h.req('chat.upload', owner, { roomId, name: `p${i}.png`, size: 3000, contentType: 'image/png' });
    expect(await h.code('chat.upload', owner, { roomId, name: 'p3.png', size: 100, contentType: 'image/png' })).toBe('rate_limited');
    expect(await h.code('chat.upload', owner, { roomId, name: 'q.png', size: 1001, contentType: 'image/png' })).toBe('forbidden');
  });

  it('the message must reference an uploaded object of the right size that is the sender’s and unsent', async () => {
    const { roomId, owner } = await h.room();
    const bob = await h.joined(roomId);
    const up = await h.req('chat.upload', owner, { roomId, name: 'a.pdf', size: 100, contentType: 'application/pdf' });
    // not uploaded yet
    expect(await h.code('chat.send', owner, { roomId, text: 't', clientMsgId: 'n1', attachments: [{ attachmentId: up.attachmentId }] })).toBe('bad_request');
    // someone else's upload
    expect(await h.code('chat.send', bob, { roomId, text: 't', clientMsgId: 'n2', attachments: [{ attachmentId: up.attachmentId }] })).toBe('not_found');
    expect(await h.code('chat.send', owner, { roomId, text: 't', clientMsgId: 'n3', attachments: [{ attachmentId: 'a_unknown' }] })).toBe('not_found');

    // a store that does not check the signed length takes other bytes: the send refuses and deletes them
    const liar = await h.req('chat.upload', owner, { roomId, name: 'b.pdf', size: 100, contentType: 'application/pdf' });
    await fetch(liar.upload.url, { method: 'PUT', headers: { 'content-type': 'application/pdf' }, body: new Uint8Array(randomBytes(2000)) }).then((r) => r.arrayBuffer());
    expect(await h.code('chat.send', owner, { roomId, text: 't', clientMsgId: 'n4', attachments: [{ attachmentId: liar.attachmentId }] })).toBe('bad_request');
    expect(await s3.head(`rooms/${roomId}/attachments/${liar.attachmentId}`)).toBeNull();

    expect(await put(up.upload, randomBytes(100))).toBe(200);
    await h.req('chat.send', owner, { roomId, text: 't', clientMsgId: 'n5', attachments: [{ attachmentId: up.attachmentId }] });
    // already sent with another message
    expect(await h.code('chat.send', owner, { roomId, text: 't', clientMsgId: 'n6', attachments: [{ attachmentId: up.attachmentId }] })).toBe('conflict');
    expect(await h.code('chat.send', owner, { roomId, text: 't', clientMsgId: 'n7', attachments: [{ attachmentId: up.attachmentId }, { attachmentId: up.attachmentId }] })).toBe('bad_request');
  });

  it('removes objects with their message, and all objects of a closed room', async () => {
    const { roomId, owner } = await h.room();
    const keys: string[] = [];
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const up = await h.req('chat.upload', owner, { roomId, name: `f${i}.txt`, size: 10, contentType: 'text/plain' });
      expect(await put(up.upload, randomBytes(10))).toBe(200);
      const msg = (await h.req('chat.send', owner, { roomId, text: `m${i}`, clientMsgId: `d${i}`, attachments: [{ attachmentId: up.attachmentId }] })).message;
      keys.push(`rooms/${roomId}/attachments/${up.attachmentId}`);
      ids.push(msg.id);
    }
    const pending = await h.req('chat.upload', owner, { roomId, name: 'p.txt', size: 10, contentType: 'text/plain' });
    expect(await put(pending.upload, randomBytes(10))).toBe(200);
    expect((await s3.list(`rooms/${roomId}/`)).sort()).toEqual([...keys, `rooms/${roomId}/attachments/${pending.attachmentId}`].sort());

    await h.req('chat.delete', owner, { roomId, messageId: ids[0] });
    expect(await s3.head(keys[0])).toBeNull();
    expect(await s3.head(keys[1])).not.toBeNull();
    expect(await h.code('chat.download', owner, { roomId, attachmentId: keys[0].split('/').pop() })).toBe('not_found');

    await h.req('room.close', owner, { roomId });
    await until(async () => (await s3.list(`rooms/${roomId}/`)).length === 0, 'objects of the closed room deleted', 20_000, 200);
  });

  it('matches content types exactly or by type/*', () => {
    expect(typeAllowed('image/png', ['image/*'])).toBe(true);
    expect(typeAllowed('application/pdf', ['image/*', 'application/pdf'])).toBe(true);
    expect(typeAllowed('application/zip', ['image/*', 'application/pdf'])).toBe(false);
  });
});
