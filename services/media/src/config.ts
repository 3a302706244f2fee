import { csv, grpcServiceConfigSchema } from '@switchboard/platform';
import { z } from 'zod';

export const mediaConfigSchema = grpcServiceConfigSchema.extend({
  HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(9103),
  GRPC_PORT: z.coerce.number().int().min(0).max(65535).default(50053),
  /** STUN servers handed to every client (comma separated `stun:` URLs). */
  STUN_URLS: csv,
  /** TURN servers sharing TURN_SECRET (comma separated `turn:`/`turns:` URLs). */
  TURN_URLS: csv,
  /** coturn's `static-auth-secret` (use-auth-secret): credentials are derived, never stored. */
  TURN_SECRET: z.string().min(16, 'TURN_SECRET must be at least 16 characters').optional(),
  /** Lifetime of issued TURN credentials. */
  TURN_TTL_S: z.coerce.number().int().min(60).max(7 * 24 * 3600).default(6 * 3600),
});

export type MediaConfig = z.infer<typeof mediaConfigSchema>;
