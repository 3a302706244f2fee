import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { CONFIG, secretIn } from '@switchboard/platform';
import { ProtocolError } from '@switchboard/protocol';
import type { GatewayConfig } from '../../config.js';
import { TokenVerifier } from '../../auth/token.verifier.js';
import { AdminTokenService } from '../admin-tokens/admin-token.service.js';
import { routeOf, type AdminRequest } from '../http/route.js';

const looksLikeJwt = (v: string) => v.split('.').length === 3;

/**
 * Admin credentials: an API key (`X-Api-Key: <key>` or `Authorization: Bearer <key>`,
 * compared as sha256 digests in constant time, so neither length nor prefix leaks) or an
 * admin JWT (`Authorization: Bearer <jwt>`, AdminTokenService: own secret and audience,
 * jti, max age, not revoked). A client JWT is never an admin credential, whatever its roles
 * (403). Records the actor on the request: `key:<first 4 chars>…` or `admin:<sub>`.
 * Routes marked `apiKeyOnly` (minting admin tokens) refuse admin JWTs with 403.
 */
@Injectable()
export class AdminAuthGuard implements CanActivate {
  constructor(
    @Inject(CONFIG) private readonly config: GatewayConfig,
    private readonly clientTokens: TokenVerifier,
    private readonly adminTokens: AdminTokenService,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const route = routeOf(ctx.getHandler());
    if (route?.auth === false) return true;
    const req = ctx.switchToHttp().getRequest<AdminRequest>();
    const { actor, kind } = await this.actorOf(req);
    req.adminActor = actor;
    req.adminActorKind = kind;
    if (route?.apiKeyOnly && kind !== 'key') throw new ProtocolError('forbidden', 'only an admin API key may do this (an admin JWT cannot mint admin tokens)');
    return true;
  }

  private async actorOf(req: AdminRequest): Promise<{ actor: string; kind: 'key' | 'token' }> {
    const header = req.headers.authorization;
    const bearer = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
    const apiKey = req.headers['x-api-key'];
    const key = typeof apiKey === 'string' && apiKey ? apiKey : bearer;
    if (key && secretIn(key, this.config.ADMIN_API_KEYS)) return { actor: `key:${key.slice(0, 4)}…`, kind: 'key' };
    if (key === bearer && bearer && looksLikeJwt(bearer)) {
      const admin = await this.adminTokens.verify(bearer);
      if (admin) return { actor: `admin:${admin.subject}`, kind: 'token' };
      const client = await this.clientTokens.verify(bearer).catch(() => undefined);
      if (client) throw new ProtocolError('forbidden', 'a client JWT is not an admin credential; use an admin token (POST /admin/v1/admin-tokens)');
      throw new ProtocolError('unauthorized', 'invalid admin token');
    }
    throw new ProtocolError('unauthorized', 'admin API key or admin JWT required');
  }
}
