import { grpcServiceConfigSchema } from '@switchboard/platform';
import { z } from 'zod';

export const roomsConfigSchema = grpcServiceConfigSchema.extend({
  HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(9101),
  GRPC_PORT: z.coerce.number().int().min(0).max(65535).default(50051),
  /** The default is the local development role that `npm start` creates (scripts/lib/infra.mjs). */
  DATABASE_URL: z.string().default('postgresql://switchboard:switchboard@127.0.0.1:5432/switchboard_rooms'),
  DEFAULT_MAX_PARTICIPANTS: z.coerce.number().int().min(1).default(100),
  ROOM_EVENTS_MAX_AGE_S: z.coerce.number().int().min(1).default(3600),
  ROOM_EVENTS_MAX_PER_ROOM: z.coerce.number().int().min(10).default(1000),
  ROOM_EVENTS_MAX_MSGS: z.coerce.number().int().min(1000).default(5_000_000),
  /** Push-to-talk floor lease; a holder refreshes it by sending floor.request again. */
  FLOOR_TTL_MS: z.coerce.number().int().min(100).default(60_000),
  /** A typing indicator not refreshed within this time is turned off for everyone. */
  TYPING_TTL_MS: z.coerce.number().int().min(100).default(5000),
  /** How long a vanished connection keeps its seats, so session.resume can take them over. */
  DISCONNECT_GRACE_MS: z.coerce.number().int().min(0).default(15_000),
  /**
   * session.resume moves seats only from a connection that is gone: rooms asks the old
   * connection's subject first; no answer within this time counts as gone.
   */
  RESUME_PROBE_TIMEOUT_MS: z.coerce.number().int().min(50).max(10_000).default(1000),
  /** How often every replica looks for due timers (floor, typing, disconnects). */
  SWEEP_INTERVAL_MS: z.coerce.number().int().min(20).default(500),
});

export type RoomsConfig = z.infer<typeof roomsConfigSchema>;
