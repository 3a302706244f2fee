import { createHmac, timingSafeEqual, type KeyObject } from 'node:crypto';
import type { JWTPayload } from 'jose';

/** Why an HS256 token was refused; `expired` when only its `exp` is past (the client needs a fresh token). */
export class Hs256Refused extends Error {
  constructor(
    message: string,
    readonly expired = false,
  ) {
    super(message);
  }
}

const SEGMENT = /^[A-Za-z0-9_-]+$/;
const SIGNATURE_BYTES = 32;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
/** Like jose: a segment that is not valid UTF-8 is refused, not repaired. */
const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeSegment(segment: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(Buffer.from(segment, 'base64url')));
  } catch {
    throw new Hs256Refused(`${what} is not base64url JSON`);
  }
  if (!isObject(value)) throw new Hs256Refused(`${what} is not a JSON object`);
  return value;
}

/**
 * Verifies an HS256 compact JWS with a synchronous HMAC from node:crypto and checks its claims
 * the way jose's `jwtVerify` does with the gateway's options (algorithms ['HS256'], required
 * `sub` and `exp`, optional issuer and audience, no clock tolerance). jose verifies through
 * WebCrypto: a thread-pool job, promises and WebIDL conversions per token, ~10 % of a gateway's
 * busy time in the join storm (ADR 0069). Anything unusual (other algorithms, `crit`, `b64`)
 * is refused, never interpreted. Returns the payload; throws Hs256Refused.
 */
export function verifyHs256(token: string, key: KeyObject, checks: { issuer?: string; audience?: string }, nowMs = Date.now()): JWTPayload {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((p) => SEGMENT.test(p))) throw new Hs256Refused('not a compact JWS');
  const [h, p, s] = parts;
  const header = decodeSegment(h, 'header');
  if (header.alg !== 'HS256') throw new Hs256Refused('alg is not HS256');
  if ('crit' in header || 'b64' in header) throw new Hs256Refused('unsupported header parameter');
  const signature = Buffer.from(s, 'base64url');
  const expected = createHmac('sha256', key).update(`${h}.${p}`).digest();
  if (signature.length !== SIGNATURE_BYTES || !timingSafeEqual(signature, expected)) throw new Hs256Refused('signature verification failed');
  const payload = decodeSegment(p, 'payload') as JWTPayload;
  for (const claim of ['sub', 'exp'] as const) if (!Object.hasOwn(payload, claim)) throw new Hs256Refused(`missing required "${claim}" claim`);
  for (const claim of ['exp', 'nbf', 'iat'] as const) {
    if (payload[claim] !== undefined && typeof payload[claim] !== 'number') throw new Hs256Refused(`"${claim}" claim must be a number`);
  }
  if (checks.issuer !== undefined && payload.iss !== checks.issuer) throw new Hs256Refused('unexpected "iss" claim value');
  if (checks.audience !== undefined) {
    const aud = payload.aud;
    if (!(aud === checks.audience || (Array.isArray(aud) && aud.includes(checks.audience)))) throw new Hs256Refused('unexpected "aud" claim value');
  }
  const now = Math.floor(nowMs / 1000);
  if (payload.nbf !== undefined && payload.nbf > now) throw new Hs256Refused('"nbf" claim timestamp check failed');
  if (payload.exp! <= now) throw new Hs256Refused('"exp" claim timestamp check failed', true);
  return payload;
}
