import { grpcServiceConfigSchema } from '@switchboard/platform';
import { z } from 'zod';

const ms = (def: number, min = 1) => z.coerce.number().int().min(min).default(def);

export const presenceConfigSchema = grpcServiceConfigSchema.extend({
  HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(9102),
  GRPC_PORT: z.coerce.number().int().min(0).max(65535).default(50052),
  /** A connection not refreshed for this long is gone (its gateway died). */
  PRESENCE_TTL_MS: ms(30_000, 500),
  /** How often gateways report (told to them in every reply); must be well under the TTL. */
  PRESENCE_LIVENESS_INTERVAL_MS: ms(10_000, 100),
  /** How often each replica sweeps lapsed deadlines. */
  PRESENCE_SWEEP_MS: ms(1000, 50),
  /**
   * Duplicate-login policy, one session per: "none" (many allowed), "device" or "user".
   * Lives here, not in the gateway: only presence sees every replica's connections.
   */
  SESSION_POLICY: z.enum(['none', 'device', 'user']).default('none'),
  RENDEZVOUS_DAILY_TTL_MS: ms(48 * 3600_000, 1000),
  RENDEZVOUS_HOURLY_TTL_MS: ms(3 * 3600_000, 1000),
  /** Status text, last seen and the last published state are kept this long after last use. */
  PRESENCE_STATE_TTL_MS: ms(30 * 24 * 3600_000, 1000),
});

export type PresenceConfig = z.infer<typeof presenceConfigSchema>;
