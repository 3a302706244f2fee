import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { CONFIG, secretIn } from '@switchboard/platform';
import { ProtocolError } from '@switchboard/protocol';
import type { GatewayConfig } from '../../config.js';
import { TokenVerifier } from '../../auth/token.verifier.js';
import { routeOf, type AdminRequest } from '../http/route.js';

const looksLikeJwt = (v: string) => v.split('.').length === 3;

export const ADMIN_ROLE = 'admin';

/**
 * Admin credentials: an API key (`X-Api-Key: <key>` or `Authorization: Bearer <key>`,
 * compared as sha256 digests in constant time, so neither length nor prefix leaks) or a client JWT (`Authorization: Bearer <jwt>`, verified by
 * TokenVerifier) whose `roles` contain `admin`. Records the actor on the request:
 * `key:<first 4 chars>…` or `user:<sub>`. Missing/invalid credentials → 401, a valid JWT
 * without the admin role → 403.
 */
@Injectable()
export class AdminAuthGuard implements CanActivate {
  constructor(
    @Inject(CONFIG) private readonly config: GatewayConfig,
    private readonly verifier: TokenVerifier,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (routeOf(ctx.getHandler())?.auth === false) return true;
    const req = ctx.switchToHttp().getRequest<AdminRequest>();
    req.adminActor = await this.actorOf(req);
    return true;
  }

  private async actorOf(req: AdminRequest): Promise<string> {
    const header = req.headers.authorization;
    const bearer = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
    const apiKey = req.headers['x-api-key'];
    const key = typeof apiKey === 'string' && apiKey ? apiKey : bearer;
    if (key && secretIn(key, this.config.ADMIN_API_KEYS)) return `key:${key.slice(0, 4)}…`;
    if (key === bearer && bearer && looksLikeJwt(bearer)) {
      const identity = await this.verifier.verify(bearer).catch(() => undefined);
      if (!identity) throw new ProtocolError('unauthorized', 'invalid admin token');
      if (!identity.roles.includes(ADMIN_ROLE)) throw new ProtocolError('forbidden', `token lacks the ${ADMIN_ROLE} role`);
      return `user:${identity.userId}`;
    }
    throw new ProtocolError('unauthorized', 'admin API key or admin JWT required');
  }
}
