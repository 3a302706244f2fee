import type * as S3 from '@aws-sdk/client-s3';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { unavailable } from '@switchboard/protocol';
import { z } from 'zod';
import { CONFIG } from './platform.js';

/**
 * S3-compatible object storage settings, shared by every service that stores files (rooms:
 * attachments and emoji; media: voice recordings). No endpoint → no storage: the verbs that
 * need it answer `unavailable`.
 */
export const objectStorageConfigSchema = z.object({
  /** Where the service reaches the store (e.g. an in-cluster Service); empty = storage off. */
  S3_ENDPOINT: z.string().url().optional(),
  /** The store as clients reach it (presigned URLs are signed for this host); default S3_ENDPOINT. */
  S3_PUBLIC_ENDPOINT: z.string().url().optional(),
  S3_REGION: z.string().min(1).default('us-east-1'),
  S3_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'S3_BUCKET must be a valid bucket name')
    .default('switchboard'),
  S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  /** Path-style URLs (`endpoint/bucket/key`): what self-hosted stores expect; false for virtual-hosted AWS S3. */
  S3_FORCE_PATH_STYLE: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
  /** Deadline of one storage call (then `unavailable`). */
  S3_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(5000),
});

export type ObjectStorageConfig = z.output<typeof objectStorageConfigSchema>;

/**
 * The AWS SDK is loaded on first use, not with the platform: its modules cost every service
 * ~0.1 CPU s at start-up, and its two clients as much again in rooms, before any file is stored
 * (issue 12, ADR 0093).
 */
let sdk: Promise<typeof S3> | undefined;
const loadSdk = () => (sdk ??= import('@aws-sdk/client-s3'));

interface S3Clients {
  sdk: typeof S3;
  client: S3.S3Client;
  /** Signs URLs for the host clients use; signing is local, this client never sends a request. */
  signer: S3.S3Client;
}

export interface PresignedRequest {
  method: 'PUT' | 'GET';
  url: string;
  /** Headers the client must send exactly as given (they are part of the signature). */
  headers: Record<string, string>;
  /** Epoch ms after which the store refuses the URL. */
  expiresAt: number;
}

export interface StoredObject {
  size: number;
  contentType: string;
}

/**
 * The one interface to the object store (AWS SDK v3, any S3-compatible server). Clients move the
 * bytes themselves through short-lived presigned URLs; services only sign, check and delete,
 * except small objects they write (recordings) or read back.
 */
@Injectable()
export class ObjectStorage implements OnModuleDestroy {
  private clients?: Promise<S3Clients>;
  readonly bucket: string;
  readonly enabled: boolean;

  constructor(@Inject(CONFIG) private readonly config: ObjectStorageConfig) {
    this.bucket = config.S3_BUCKET;
    this.enabled = !!config.S3_ENDPOINT;
  }

  /** Synchronous for its callers (Nest, specs): clients still being made are destroyed once made. */
  onModuleDestroy(): void {
    void this.clients?.then(
      (c) => {
        c.client.destroy();
        c.signer.destroy();
      },
      () => undefined,
    );
  }

  private async connect(): Promise<S3Clients> {
    const { config } = this;
    const s3 = await loadSdk();
    const base = {
      region: config.S3_REGION,
      forcePathStyle: config.S3_FORCE_PATH_STYLE,
      credentials: config.S3_ACCESS_KEY_ID && config.S3_SECRET_ACCESS_KEY ? { accessKeyId: config.S3_ACCESS_KEY_ID, secretAccessKey: config.S3_SECRET_ACCESS_KEY } : undefined,
      // Only when an operation demands one: the default CRC32 on every PUT would also end up in
      // presigned URLs (as the checksum of an empty body) and many S3-compatible servers reject it.
      requestChecksumCalculation: 'WHEN_REQUIRED' as const,
      responseChecksumValidation: 'WHEN_REQUIRED' as const,
      maxAttempts: 2,
    };
    return {
      sdk: s3,
      client: new s3.S3Client({ ...base, endpoint: config.S3_ENDPOINT, requestHandler: { requestTimeout: config.S3_REQUEST_TIMEOUT_MS, connectionTimeout: config.S3_REQUEST_TIMEOUT_MS } }),
      signer: new s3.S3Client({ ...base, endpoint: config.S3_PUBLIC_ENDPOINT ?? config.S3_ENDPOINT }),
    };
  }

  /** Creates the bucket when it is missing (dev and test stores start empty). */
  async ensureBucket(): Promise<void> {
    const { client, sdk: s3 } = await this.s3();
    try {
      await client.send(new s3.HeadBucketCommand({ Bucket: this.bucket }));
    } catch (err) {
      if (statusOf(err) !== 404) throw storageError(err);
      await client.send(new s3.CreateBucketCommand({ Bucket: this.bucket })).catch((e) => {
        if (statusOf(e) !== 409) throw storageError(e); // another replica made it first
      });
    }
  }

  /**
   * A PUT URL for exactly `size` bytes of `contentType`: both headers are signed, so a store
   * that checks signatures (S3, MinIO, SeaweedFS…) refuses any other length before storing a byte.
   */
  async presignPut(key: string, size: number, contentType: string, expiresInS: number): Promise<PresignedRequest> {
    const { signer, sdk: s3 } = await this.s3();
    const command = new s3.PutObjectCommand({ Bucket: this.bucket, Key: key, ContentType: contentType, ContentLength: size });
    const url = await (await loadPresigner())(signer, command, { expiresIn: expiresInS, signableHeaders: new Set(['content-type', 'content-length']) });
    return { method: 'PUT', url, headers: { 'content-type': contentType, 'content-length': String(size) }, expiresAt: Date.now() + expiresInS * 1000 };
  }

  /** A GET URL; `fileName` becomes the download's Content-Disposition. */
  async presignGet(key: string, expiresInS: number, fileName?: string): Promise<PresignedRequest> {
    const { signer, sdk: s3 } = await this.s3();
    const disposition = fileName ? `attachment; filename*=UTF-8''${encodeURIComponent(fileName)}` : undefined;
    const command = new s3.GetObjectCommand({ Bucket: this.bucket, Key: key, ResponseContentDisposition: disposition });
    const url = await (await loadPresigner())(signer, command, { expiresIn: expiresInS });
    return { method: 'GET', url, headers: {}, expiresAt: Date.now() + expiresInS * 1000 };
  }

  /** Size and type of an object, or null when there is none. */
  async head(key: string): Promise<StoredObject | null> {
    const { client, sdk: s3 } = await this.s3();
    try {
      const r = await client.send(new s3.HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return { size: Number(r.ContentLength ?? 0), contentType: r.ContentType ?? 'application/octet-stream' };
    } catch (err) {
      if (statusOf(err) === 404) return null;
      throw storageError(err);
    }
  }

  async put(key: string, body: Uint8Array, contentType: string): Promise<void> {
    const { client, sdk: s3 } = await this.s3();
    try {
      await client.send(new s3.PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType, ContentLength: body.byteLength }));
    } catch (err) {
      throw storageError(err);
    }
  }

  /** The object's bytes (up to `maxBytes`, else `too_large`), or null when there is none. */
  async get(key: string, maxBytes: number): Promise<Uint8Array | null> {
    const { client, sdk: s3 } = await this.s3();
    try {
      const r = await client.send(new s3.GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if (Number(r.ContentLength ?? 0) > maxBytes) {
        await r.Body?.transformToWebStream().cancel();
        throw new RangeError(`object ${key} is larger than ${maxBytes} bytes`);
      }
      return r.Body ? await r.Body.transformToByteArray() : new Uint8Array();
    } catch (err) {
      if (err instanceof RangeError) throw err;
      if (statusOf(err) === 404) return null;
      throw storageError(err);
    }
  }

  /** Keys under `prefix`, at most `max` (one page; for checks and tools, not for hot paths). */
  async list(prefix: string, max = 1000): Promise<string[]> {
    const { client, sdk: s3 } = await this.s3();
    try {
      const r = await client.send(new s3.ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, MaxKeys: max }));
      return (r.Contents ?? []).flatMap((o) => (o.Key ? [o.Key] : []));
    } catch (err) {
      throw storageError(err);
    }
  }

  /** Deletes objects; a missing one counts as deleted (S3 DELETE is idempotent). */
  async delete(keys: string[]): Promise<void> {
    const { client, sdk: s3 } = await this.s3();
    // One request each: DeleteObjects needs a Content-MD5/checksum that not every server takes.
    for (const key of keys) {
      try {
        await client.send(new s3.DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
      } catch (err) {
        if (statusOf(err) !== 404) throw storageError(err);
      }
    }
  }

  /** The clients, made on first use; `unavailable` without S3_ENDPOINT. */
  private s3(): Promise<S3Clients> {
    if (!this.enabled) return Promise.reject(unavailable('object storage is not configured (S3_ENDPOINT)'));
    return (this.clients ??= this.connect());
  }
}

const loadPresigner = async () => (await import('@aws-sdk/s3-request-presigner')).getSignedUrl;

/** The HTTP status of a store error (S3ServiceException and the SDK's other errors carry `$metadata`). */
function statusOf(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

/** Store failures reach clients as `unavailable`, never as the store's own message. */
function storageError(err: unknown): Error {
  const e = unavailable('object storage failed');
  (e as { cause?: unknown }).cause = err;
  return e;
}
