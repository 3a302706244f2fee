import { randomFillSync } from 'node:crypto';

/**
 * Random bytes come from a pool refilled 4 KiB at a time: `randomBytes(12)` per id was a
 * synchronous crypto job per call (the gateway makes ids for every connect; ADR 0058).
 */
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let offset = 0;

function randomSlice(bytes: number): Buffer {
  if (offset + bytes > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafe(Math.max(POOL_BYTES, bytes)));
    offset = 0;
  }
  offset += bytes;
  return pool.subarray(offset - bytes, offset);
}

/** Random, URL- and subject-safe id (matches the protocol's Id pattern), e.g. `r_Q2x9…`. */
export function newId(prefix: string, bytes = 12): string {
  return `${prefix}_${randomSlice(bytes).toString('base64url')}`;
}
