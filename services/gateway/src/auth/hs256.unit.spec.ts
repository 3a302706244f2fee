import { createHmac, createSecretKey } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { Hs256Refused, verifyHs256 } from './hs256.js';

const SECRET = new TextEncoder().encode('unit-test-secret-unit-test-secret');
const KEY = createSecretKey(SECRET);
const now = Math.floor(Date.now() / 1000);
const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
/** A token with any header and payload, signed with HMAC-SHA256 over them as given (whatever alg the header claims). */
const raw = (header: unknown, payload: unknown, secret: Uint8Array = SECRET) => {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
};
const valid = { sub: 'alice', exp: now + 3600 };

/** Every token: what jose's jwtVerify (the verifier before ADR 0069) decides must be what verifyHs256 decides. */
const cases: [string, () => Promise<string> | string, { issuer?: string; audience?: string }?][] = [
  ['valid', () => raw({ alg: 'HS256', typ: 'JWT' }, valid)],
  ['signed by jose', () => new SignJWT({ name: 'A' }).setProtectedHeader({ alg: 'HS256' }).setSubject('a').setIssuedAt().setExpirationTime(now + 60).sign(SECRET)],
  ['expired', () => raw({ alg: 'HS256' }, { sub: 'a', exp: now - 10 })],
  ['exp = now', () => raw({ alg: 'HS256' }, { sub: 'a', exp: now })],
  ['nbf in the future', () => raw({ alg: 'HS256' }, { ...valid, nbf: now + 60 })],
  ['nbf now', () => raw({ alg: 'HS256' }, { ...valid, nbf: now })],
  ['exp a string', () => raw({ alg: 'HS256' }, { sub: 'a', exp: String(now + 60) })],
  ['iat a string', () => raw({ alg: 'HS256' }, { ...valid, iat: 'yesterday' })],
  ['nbf null', () => raw({ alg: 'HS256' }, { ...valid, nbf: null })],
  ['without sub', () => raw({ alg: 'HS256' }, { exp: now + 60 })],
  ['without exp', () => raw({ alg: 'HS256' }, { sub: 'a' })],
  ['sub inherited only', () => raw({ alg: 'HS256' }, { exp: now + 60, __proto__: { sub: 'a' } })],
  ['issuer matches', () => raw({ alg: 'HS256' }, { ...valid, iss: 'https://app' }), { issuer: 'https://app' }],
  ['issuer differs', () => raw({ alg: 'HS256' }, { ...valid, iss: 'https://evil' }), { issuer: 'https://app' }],
  ['issuer missing', () => raw({ alg: 'HS256' }, valid), { issuer: 'https://app' }],
  ['audience string', () => raw({ alg: 'HS256' }, { ...valid, aud: 'sb' }), { audience: 'sb' }],
  ['audience in a list', () => raw({ alg: 'HS256' }, { ...valid, aud: ['x', 'sb'] }), { audience: 'sb' }],
  ['audience differs', () => raw({ alg: 'HS256' }, { ...valid, aud: ['x'] }), { audience: 'sb' }],
  ['another secret', () => raw({ alg: 'HS256' }, valid, new TextEncoder().encode('another-secret-another-secret'))],
  ['alg HS384 in the header', () => raw({ alg: 'HS384' }, valid)],
  ['alg none', () => `${b64({ alg: 'none' })}.${b64(valid)}.`],
  ['no alg', () => raw({ typ: 'JWT' }, valid)],
  ['crit header', () => raw({ alg: 'HS256', crit: ['exp'] }, valid)],
  ['b64 false', () => raw({ alg: 'HS256', b64: false, crit: ['b64'] }, valid)],
  ['payload an array', () => raw({ alg: 'HS256' }, [1])],
  ['payload not JSON', () => raw({ alg: 'HS256' }, 'not json')],
  ['header an array', () => raw([1], valid)],
  ['payload swapped after signing', () => {
    const [h, , s] = raw({ alg: 'HS256' }, valid).split('.');
    return `${h}.${b64({ sub: 'mallory', exp: now + 3600 })}.${s}`;
  }],
  ['signature cut short', () => raw({ alg: 'HS256' }, valid).slice(0, -4)],
  ['four segments', () => `${raw({ alg: 'HS256' }, valid)}.x`],
  ['two segments', () => `${b64({ alg: 'HS256' })}.${b64(valid)}`],
  ['garbage', () => 'not.a.jwt'],
  ['empty', () => ''],
];

describe('verifyHs256 decides like jose.jwtVerify (HS256, required sub and exp)', () => {
  it.each(cases)('%s', async (_name, make, checks = {}) => {
    const token = await make();
    const jose = await jwtVerify(token, SECRET, { algorithms: ['HS256'], requiredClaims: ['sub', 'exp'], ...checks }).then(
      (r) => ({ ok: true as const, payload: r.payload }),
      (err: unknown) => ({ ok: false as const, expired: err instanceof errors.JWTExpired }),
    );
    let mine: { ok: true; payload: unknown } | { ok: false; expired: boolean };
    try {
      mine = { ok: true, payload: verifyHs256(token, KEY, checks) };
    } catch (err) {
      expect(err).toBeInstanceOf(Hs256Refused);
      mine = { ok: false, expired: (err as Hs256Refused).expired };
    }
    expect(mine).toEqual(jose);
  });

  it('refuses base64 padding, which jose tolerates (compact JWS has none, RFC 7515 §2): stricter, never looser', () => {
    expect(() => verifyHs256(raw({ alg: 'HS256' }, valid).replace(/\.([^.]*)$/, '.$1='), KEY, {})).toThrow(Hs256Refused);
  });

  it('refuses at the exact second exp names, and a second before it accepts', () => {
    const token = raw({ alg: 'HS256' }, { sub: 'a', exp: 2_000_000_000 });
    expect(verifyHs256(token, KEY, {}, 1_999_999_999_999).sub).toBe('a');
    expect(() => verifyHs256(token, KEY, {}, 2_000_000_000_000)).toThrow(expect.objectContaining({ expired: true }));
  });
});
