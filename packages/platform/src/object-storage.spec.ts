import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { s3TestEnv, uid, until } from '../../../test/support/stack.js';
import { loadConfig } from './config.js';
import { ObjectStorage, objectStorageConfigSchema } from './object-storage.js';

describe('ObjectStorage against the real S3-compatible test server', () => {
  const storage = new ObjectStorage(loadConfig(objectStorageConfigSchema, s3TestEnv()));
  afterAll(() => storage.onModuleDestroy());

  it('uploads through a presigned PUT, reads back through a presigned GET, deletes', async () => {
    const key = `spec/${uid('o')}`;
    const body = randomBytes(1500);
    const put = await storage.presignPut(key, body.length, 'image/png', 60);
    expect(put.url).toContain('X-Amz-SignedHeaders=content-length%3Bcontent-type%3Bhost');
    expect(await storage.head(key)).toBeNull();
    const res = await fetch(put.url, { method: 'PUT', headers: put.headers, body: new Uint8Array(body) });
    expect(res.status).toBe(200);
    expect(await storage.head(key)).toEqual({ size: 1500, contentType: 'image/png' });

    const get = await storage.presignGet(key, 60, 'photo ü.png');
    const down = await fetch(get.url);
    expect(down.status).toBe(200);
    expect(down.headers.get('content-disposition')).toBe("attachment; filename*=UTF-8''photo%20%C3%BC.png");
    expect(Buffer.from(await down.arrayBuffer()).equals(body)).toBe(true);
    expect(Buffer.from((await storage.get(key, 4096))!).equals(body)).toBe(true);
    await expect(storage.get(key, 100)).rejects.toThrow(RangeError);

    await storage.delete([key, `${key}-never-existed`]);
    expect(await storage.head(key)).toBeNull();
    expect(await storage.get(key, 4096)).toBeNull();
  });

  it('a presigned URL is refused once it expired', async () => {
    const key = `spec/${uid('o')}`;
    await storage.put(key, Buffer.from('voice'), 'audio/ogg');
    const get = await storage.presignGet(key, 1);
    // X-Amz-Date has one-second resolution: wait until the store says it expired.
    const status = await until(
      async () => {
        const r = await fetch(get.url);
        await r.arrayBuffer();
        return r.status === 403 ? r.status : undefined;
      },
      'presigned GET expiry',
      15_000,
      250,
    );
    expect(status).toBe(403);
    await storage.delete([key]);
  });

  it('creates a missing bucket once, and answers unavailable when no store is configured', async () => {
    const other = new ObjectStorage(loadConfig(objectStorageConfigSchema, { ...s3TestEnv(), S3_BUCKET: `b-${uid('b').toLowerCase()}` }));
    await other.ensureBucket();
    await other.ensureBucket();
    await other.put('k', Buffer.from('x'), 'text/plain');
    expect(await other.head('k')).toEqual({ size: 1, contentType: 'text/plain' });
    other.onModuleDestroy();

    const off = new ObjectStorage(loadConfig(objectStorageConfigSchema, {}));
    expect(off.enabled).toBe(false);
    await expect(off.head('k')).rejects.toMatchObject({ code: 'unavailable' });
    await expect(off.presignPut('k', 1, 'text/plain', 60)).rejects.toMatchObject({ code: 'unavailable' });
  });
});
