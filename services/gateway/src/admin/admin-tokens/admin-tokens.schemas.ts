import { Id } from '@switchboard/protocol';
import { z } from 'zod';

export const MintAdminTokenBody = z.object({
  subject: Id.describe('who the token is for (the audit log records actions as `admin:<subject>`)'),
  ttlSeconds: z.number().int().min(10).optional().describe('lifetime; default and maximum ADMIN_JWT_MAX_TTL_S'),
});

export const MintedAdminToken = z.object({
  token: z.string().describe('HS256 admin JWT (audience ADMIN_JWT_AUDIENCE), signed with ADMIN_JWT_SECRET'),
  jti: z.string().describe('the token id, for POST /admin/v1/revocations'),
  expiresAt: z.number().int().describe('milliseconds since the Unix epoch'),
});

export const RevokeBody = z.object({ jti: Id.describe('id (`jti`) of the admin token to revoke') });
export const Revoked = z.object({ jti: z.string(), revokedUntil: z.number().int().describe('the revocation is kept until then (ms since the Unix epoch); no token outlives it') });
