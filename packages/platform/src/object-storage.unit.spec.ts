import { describe, expect, it } from 'vitest';
import { ObjectStorage, objectStorageConfigSchema } from './object-storage.js';

/**
 * ObjectStorage's failure mapping with the S3 client's `send` scripted: the store's own errors
 * never reach callers (always `unavailable`, the cause kept), 404 means "none", and a 409 on
 * bucket creation is another replica's win. The happy paths run against a real store in the
 * services' attachment and recording specs.
 */
const httpError = (status: number) => Object.assign(new Error(`http ${status}`), { $metadata: { httpStatusCode: status } });

async function storage(send: (command: { constructor: { name: string } }) => unknown) {
  const s = new ObjectStorage(objectStorageConfigSchema.parse({ S3_ENDPOINT: 'http://127.0.0.1:9', S3_ACCESS_KEY_ID: 'k', S3_SECRET_ACCESS_KEY: 's' }));
  const sent: string[] = [];
  // The clients are made on first use (the SDK loads lazily): made here, then scripted.
  const { client } = await (s as unknown as { s3(): Promise<{ client: { send: unknown } }> }).s3();
  client.send = async (command: { constructor: { name: string } }) => {
    sent.push(command.constructor.name);
    return send(command);
  };
  return { s, sent };
}

const unavailableWith = async (p: Promise<unknown>, cause: unknown) => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toMatchObject({ code: 'unavailable', message: 'object storage failed' });
  expect((err as { cause?: unknown }).cause).toBe(cause);
};

describe('ObjectStorage failure mapping (scripted S3 client)', () => {
  it('without S3_ENDPOINT every call is unavailable and nothing is sent', async () => {
    const s = new ObjectStorage(objectStorageConfigSchema.parse({}));
    expect(s.enabled).toBe(false);
    await expect(s.put('k', new Uint8Array(1), 'text/plain')).rejects.toMatchObject({ code: 'unavailable' });
    await expect(s.presignGet('k', 60)).rejects.toMatchObject({ code: 'unavailable' });
  });

  it('a store error on put, list, head and get is unavailable with the cause kept; 404 on head/get is null', async () => {
    const boom = httpError(500);
    const { s } = await storage(() => {
      throw boom;
    });
    await unavailableWith(s.put('k', new Uint8Array(1), 'text/plain'), boom);
    await unavailableWith(s.list('p/'), boom);
    await unavailableWith(s.head('k'), boom);
    await unavailableWith(s.get('k', 10), boom);
    const missing = await storage(() => {
      throw httpError(404);
    });
    expect(await missing.s.head('k')).toBeNull();
    expect(await missing.s.get('k', 10)).toBeNull();
  });

  it('delete treats a missing object as deleted and fails on any other error', async () => {
    const boom = httpError(503);
    const { s, sent } = await storage((c) => {
      if (sent.length === 1) throw httpError(404);
      if (sent.length === 3) throw boom;
      return c && {};
    });
    await s.delete(['a', 'b']);
    expect(sent).toEqual(['DeleteObjectCommand', 'DeleteObjectCommand']);
    await unavailableWith(s.delete(['c']), boom);
  });

  it('list keeps only entries with a key; get refuses an object over maxBytes as a RangeError', async () => {
    let cancelled = false;
    const { s } = await storage((c) =>
      c.constructor.name === 'ListObjectsV2Command'
        ? { Contents: [{ Key: 'p/a' }, {}, { Key: 'p/b' }] }
        : { ContentLength: 11, Body: { transformToWebStream: () => ({ cancel: async () => void (cancelled = true) }) } },
    );
    expect(await s.list('p/')).toEqual(['p/a', 'p/b']);
    await expect(s.get('big', 10)).rejects.toBeInstanceOf(RangeError);
    expect(cancelled).toBe(true);
  });

  it('ensureBucket: creates a missing bucket, accepts losing the race (409), fails on other errors', async () => {
    const boom = httpError(403);
    for (const [createFails, expected] of [
      [undefined, 'ok'],
      [httpError(409), 'ok'],
      [boom, 'unavailable'],
    ] as const) {
      const { s, sent } = await storage((c) => {
        if (c.constructor.name === 'HeadBucketCommand') throw httpError(404);
        if (createFails) throw createFails;
        return {};
      });
      const result = await s.ensureBucket().then(
        () => 'ok',
        (e: { code?: string }) => e.code,
      );
      expect(result).toBe(expected);
      expect(sent).toEqual(['HeadBucketCommand', 'CreateBucketCommand']);
    }
    const head = await storage(() => {
      throw boom;
    });
    await unavailableWith(head.s.ensureBucket(), boom);
    expect(head.sent).toEqual(['HeadBucketCommand']);
  });
});
