// The S3-compatible object store for local development and tests: s3rver (npm, pinned in the
// root devDependencies; ADR 0034), started on loopback with its data in a temporary directory,
// waited for until it answers, stopped with SIGTERM. Plain ESM, node built-ins only.

import { createRequire } from 'node:module';
import path from 'node:path';
import { freePort } from './infra.mjs';
import { startSidecar } from './sidecar.mjs';

/** s3rver's one built-in account: the credentials every signed request must name. */
export const S3_DEV_CREDENTIALS = Object.freeze({ accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' });
export const S3_DEV_BUCKET = 'switchboard';

/** The s3rver CLI installed by `npm ci` (a root devDependency). */
export function s3rverCli() {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve('s3rver/package.json')), 'bin', 's3rver.js');
}

/** Resolves true once the store answers HTTP at all (an anonymous GET / is refused with 403, which is fine). */
export async function s3Ready(endpoint, timeoutMs = 1000) {
  try {
    const res = await fetch(`${endpoint}/`, { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return res.status > 0;
  } catch {
    return false;
  }
}

/**
 * Starts s3rver on 127.0.0.1 (`port` defaults to a free one) with `bucket` created, and resolves
 * to `{ endpoint, bucket, accessKeyId, secretAccessKey, port, child, logFile, stop() }`.
 * @param {{ port?: number, bucket?: string, logFile?: string, readyTimeoutMs?: number }} [options]
 */
export async function startS3({ port, bucket = S3_DEV_BUCKET, logFile, readyTimeoutMs = 30_000 } = {}) {
  port ??= await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const { child, logFile: log, stop } = await startSidecar({
    name: 'S3',
    binary: process.execPath,
    // --no-vhost-buckets: path-style only, so "127.0.0.1" is never read as a bucket name.
    args: (dir) => [s3rverCli(), '-d', path.join(dir, 'data'), '-a', '127.0.0.1', '-p', String(port), '--no-vhost-buckets', '--configure-bucket', bucket],
    logFile,
    ready: () => s3Ready(endpoint),
    readyTimeoutMs,
  });
  return { endpoint, bucket, ...S3_DEV_CREDENTIALS, port, child, logFile: log, stop };
}

/** The services' environment for a store started by startS3. */
export function s3Env(s3) {
  return { S3_ENDPOINT: s3.endpoint, S3_BUCKET: s3.bucket, S3_ACCESS_KEY_ID: s3.accessKeyId, S3_SECRET_ACCESS_KEY: s3.secretAccessKey, S3_FORCE_PATH_STYLE: 'true' };
}
