import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, newId } from '@switchboard/platform';
import { Id, ProtocolError } from '@switchboard/protocol';
import { jwtVerify, SignJWT } from 'jose';
import type { GatewayConfig } from '../../config.js';
import { RevocationsStore } from './revocations.store.js';

/** A verified admin token. */
export interface AdminIdentity {
  subject: string;
  jti: string;
}

/** Clock skew allowed on top of a revocation's lifetime. */
const SKEW_S = 60;

/**
 * Admin JWTs, distinct from client JWTs in every way that matters (ADR 0012): their own
 * secret (ADMIN_JWT_SECRET, never JWT_SECRET), their own audience (ADMIN_JWT_AUDIENCE,
 * default `switchboard-admin`), a `jti` on every token, a lifetime of at most
 * ADMIN_JWT_MAX_TTL_S (also enforced against `iat` on verify), and a revocation list in
 * Redis checked on every request. Without ADMIN_JWT_SECRET only API keys are admins.
 */
@Injectable()
export class AdminTokenService {
  private readonly secret?: Uint8Array;

  constructor(
    @Inject(CONFIG) private readonly config: GatewayConfig,
    private readonly revocations: RevocationsStore,
  ) {
    if (config.ADMIN_JWT_SECRET) this.secret = new TextEncoder().encode(config.ADMIN_JWT_SECRET);
  }

  get enabled(): boolean {
    return this.secret !== undefined;
  }

  async mint(subject: string, ttlSeconds = this.config.ADMIN_JWT_MAX_TTL_S): Promise<{ token: string; jti: string; expiresAt: number }> {
    if (!this.secret) throw new ProtocolError('unavailable', 'admin tokens need ADMIN_JWT_SECRET');
    if (ttlSeconds > this.config.ADMIN_JWT_MAX_TTL_S) throw new ProtocolError('bad_request', `ttlSeconds: at most ${this.config.ADMIN_JWT_MAX_TTL_S} (ADMIN_JWT_MAX_TTL_S)`);
    const jti = newId('at');
    const exp = Math.floor(Date.now() / 1000) + ttlSeconds;
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(subject)
      .setAudience(this.config.ADMIN_JWT_AUDIENCE)
      .setJti(jti)
      .setIssuedAt()
      .setExpirationTime(exp)
      .sign(this.secret);
    return { token, jti, expiresAt: exp * 1000 };
  }

  /** The admin behind `token`, or undefined when it is not a valid admin token; a revoked one is `unauthorized`. */
  async verify(token: string): Promise<AdminIdentity | undefined> {
    if (!this.secret) return undefined;
    let payload;
    try {
      ({ payload } = await jwtVerify(token, this.secret, {
        algorithms: ['HS256'],
        audience: this.config.ADMIN_JWT_AUDIENCE,
        requiredClaims: ['sub', 'exp', 'iat', 'jti'],
        maxTokenAge: this.config.ADMIN_JWT_MAX_TTL_S,
      }));
    } catch {
      return undefined;
    }
    const subject = Id.safeParse(payload.sub);
    const jti = Id.safeParse(payload.jti);
    if (!subject.success || !jti.success) return undefined;
    if (await this.revocations.isRevoked(jti.data)) throw new ProtocolError('unauthorized', 'admin token revoked');
    return { subject: subject.data, jti: jti.data };
  }

  /** Revokes a token id on every replica until no token with it can still be valid. */
  async revoke(jti: string): Promise<{ jti: string; revokedUntil: number }> {
    const ttl = this.config.ADMIN_JWT_MAX_TTL_S + SKEW_S;
    await this.revocations.revoke(jti, ttl);
    return { jti, revokedUntil: Date.now() + ttl * 1000 };
  }
}
