import { timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { CONFIG } from '@switchboard/platform';
import type { Request } from 'express';
import type { GatewayConfig } from '../config.js';

const same = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/** Admin API keys: `Authorization: Bearer <key>` or `X-Api-Key: <key>`, compared in constant time. */
@Injectable()
export class AdminKeyGuard implements CanActivate {
  constructor(@Inject(CONFIG) private readonly config: GatewayConfig) {}

  canActivate(ctx: ExecutionContext): boolean {
    const req = ctx.switchToHttp().getRequest<Request>();
    const header = req.headers.authorization;
    const key = header?.startsWith('Bearer ') ? header.slice(7) : (req.headers['x-api-key'] as string | undefined);
    if (!key || !this.config.ADMIN_API_KEYS.some((k) => same(k, key))) throw new UnauthorizedException({ code: 'unauthorized', message: 'admin API key required' });
    (req as Request & { adminActor?: string }).adminActor = `key:${key.slice(0, 4)}…`;
    return true;
  }
}
