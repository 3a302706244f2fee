import { Body, Controller, HttpCode, Post, UseFilters, UseGuards } from '@nestjs/common';
import { badRequest, Id } from '@switchboard/protocol';
import { z } from 'zod';
import { TokenVerifier } from '../auth/token.verifier.js';
import { AdminKeyGuard } from './admin-key.guard.js';
import { ProtocolErrorFilter } from './protocol-error.filter.js';

export const MintTokenBody = z.object({
  userId: Id,
  name: z.string().max(200).optional(),
  device: Id.optional(),
  roles: z.array(z.string().max(64)).max(20).optional(),
  ttlSeconds: z.number().int().min(10).max(30 * 24 * 3600).default(3600),
});

@Controller('admin/v1/tokens')
@UseGuards(AdminKeyGuard)
@UseFilters(ProtocolErrorFilter)
export class TokensController {
  constructor(private readonly verifier: TokenVerifier) {}

  /** Mints a client JWT (HS256) for the given user. */
  @Post()
  @HttpCode(201)
  async mint(@Body() body: unknown) {
    const parsed = MintTokenBody.safeParse(body ?? {});
    if (!parsed.success) throw badRequest(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    const { ttlSeconds, ...claims } = parsed.data;
    return this.verifier.mint(claims, ttlSeconds);
  }
}
