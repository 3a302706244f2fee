import { Inject, Injectable } from '@nestjs/common';
import { CONFIG } from '@switchboard/platform';
import { Id, type UpgradeAuthFailure } from '@switchboard/protocol';
import { createSecretKey, type KeyObject } from 'node:crypto';
import { createRemoteJWKSet, errors, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import type { GatewayConfig } from '../config.js';
import { Hs256Refused, verifyHs256 } from './hs256.js';

export interface Identity {
  userId: string;
  name: string;
  device: string;
  roles: string[];
  /** Expiry, seconds since epoch. */
  exp: number;
}

/** A credential that does not authenticate; `reason` is what the 401 on the upgrade tells the client. */
export class AuthError extends Error {
  constructor(
    message: string,
    readonly reason: UpgradeAuthFailure = 'invalid',
  ) {
    super(message);
  }
}

const MAX_TOKEN_CHARS = 8192;

/**
 * Verifies client JWTs: HS256 with the shared secret, or RS256/EdDSA from a JWKS URL
 * (jose caches keys and refetches on an unknown `kid`, at most every 30 s).
 */
@Injectable()
export class TokenVerifier {
  private readonly secret?: Uint8Array;
  /** The secret as a node:crypto key, made once: HS256 is verified with a synchronous HMAC (hs256.ts, ADR 0069). */
  private readonly verifyKey?: KeyObject;
  private readonly jwks?: ReturnType<typeof createRemoteJWKSet>;

  constructor(@Inject(CONFIG) private readonly config: GatewayConfig) {
    if (config.JWT_SECRET) {
      this.secret = new TextEncoder().encode(config.JWT_SECRET);
      this.verifyKey = createSecretKey(this.secret);
    }
    if (config.JWT_JWKS_URL) this.jwks = createRemoteJWKSet(new URL(config.JWT_JWKS_URL), { cooldownDuration: 30_000, cacheMaxAge: 600_000 });
  }

  async verify(token: string): Promise<Identity> {
    if (!token) throw new AuthError('no token', 'missing');
    if (token.length > MAX_TOKEN_CHARS) throw new AuthError('oversized token');
    const opts = { issuer: this.config.JWT_ISSUER, audience: this.config.JWT_AUDIENCE, requiredClaims: ['sub', 'exp'] };
    let payload: JWTPayload | undefined;
    let lastError: unknown;
    if (this.verifyKey) {
      try {
        payload = verifyHs256(token, this.verifyKey, { issuer: opts.issuer, audience: opts.audience });
      } catch (err) {
        lastError = err;
      }
    }
    if (!payload && this.jwks) {
      try {
        payload = (await jwtVerify(token, this.jwks, { ...opts, algorithms: ['RS256', 'EdDSA', 'ES256'] })).payload;
      } catch (err) {
        lastError = err;
      }
    }
    // Expired under every key that verified its signature: the client needs a fresh token, not a fix.
    const expired = lastError instanceof errors.JWTExpired || (lastError instanceof Hs256Refused && lastError.expired);
    if (!payload) throw new AuthError((lastError as Error)?.message ?? 'invalid token', expired ? 'expired' : 'invalid');
    return identityFrom(payload);
  }

  /** Mints an HS256 client token (admin API). */
  async mint(claims: { userId: string; name?: string; device?: string; roles?: string[] }, ttlSeconds: number): Promise<{ token: string; expiresAt: number }> {
    if (!this.secret) throw new AuthError('token minting needs JWT_SECRET');
    const exp = Math.floor(Date.now() / 1000) + ttlSeconds;
    let jwt = new SignJWT({ name: claims.name, device: claims.device, roles: claims.roles }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setSubject(claims.userId).setIssuedAt().setExpirationTime(exp);
    if (this.config.JWT_ISSUER) jwt = jwt.setIssuer(this.config.JWT_ISSUER);
    if (this.config.JWT_AUDIENCE) jwt = jwt.setAudience(this.config.JWT_AUDIENCE);
    return { token: await jwt.sign(this.secret), expiresAt: exp * 1000 };
  }
}

export function identityFrom(p: JWTPayload): Identity {
  const sub = Id.safeParse(p.sub);
  if (!sub.success) throw new AuthError('sub must match [A-Za-z0-9_-]{1,64}');
  const str = (v: unknown, max: number) => (typeof v === 'string' ? v.slice(0, max) : '');
  const device = str(p.device, 64);
  return {
    userId: sub.data,
    name: str(p.name, 200),
    device: /^[A-Za-z0-9_-]*$/.test(device) ? device : '',
    roles: Array.isArray(p.roles) ? p.roles.filter((r): r is string => typeof r === 'string').slice(0, 20) : [],
    exp: p.exp!,
  };
}
