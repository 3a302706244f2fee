import { Id } from '@switchboard/protocol';
import { z } from 'zod';

export const MintTokenBody = z.object({
  userId: Id,
  name: z.string().max(200).optional(),
  device: Id.optional(),
  roles: z.array(z.string().max(64)).max(20).optional(),
  ttlSeconds: z.number().int().min(10).max(30 * 24 * 3600).default(3600),
});

export const MintedToken = z.object({ token: z.string().describe('HS256 client JWT'), expiresAt: z.number().int().describe('milliseconds since the Unix epoch') });
