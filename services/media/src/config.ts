import { csv, grpcServiceConfigSchema } from '@switchboard/platform';
import { z } from 'zod';

const ms = (min: number, fallback: number, max = 7 * 24 * 3600_000) => z.coerce.number().int().min(min).max(max).default(fallback);
const count = (min: number, fallback: number, max = 1_000_000) => z.coerce.number().int().min(min).max(max).default(fallback);

export const mediaConfigSchema = grpcServiceConfigSchema.extend({
  HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(9103),
  GRPC_PORT: z.coerce.number().int().min(0).max(65535).default(50053),
  /** The call log. The default is the local development role that `npm start` creates (scripts/lib/infra.mjs). */
  DATABASE_URL: z.string().default('postgresql://switchboard:switchboard@127.0.0.1:5432/switchboard_media'),
  /** The rooms service (membership and participants of a call's room). */
  ROOMS_GRPC_URL: z.string().min(1).default('127.0.0.1:50051'),
  /** STUN servers handed to every client (comma separated `stun:` URLs). */
  STUN_URLS: csv,
  /** TURN servers sharing TURN_SECRET (comma separated `turn:`/`turns:` URLs). */
  TURN_URLS: csv,
  /** coturn's `static-auth-secret` (use-auth-secret): credentials are derived, never stored. */
  TURN_SECRET: z.string().min(16, 'TURN_SECRET must be at least 16 characters').optional(),
  /** Lifetime of issued TURN credentials. */
  TURN_TTL_S: z.coerce.number().int().min(60).max(7 * 24 * 3600).default(6 * 3600),

  /** How long a call rings before it ends with reason `timeout`. */
  CALL_RING_TIMEOUT_MS: ms(100, 30_000, 10 * 60_000),
  /** A call still up after this long ends with reason `timeout` (and its state leaves Redis). */
  CALL_MAX_DURATION_MS: ms(1000, 12 * 3600_000),
  /** At most this many users are rung by one call (`too_large` above). */
  CALL_MAX_CALLEES: count(1, 50, 1000),
  /** Ended calls older than this leave the call log (0 keeps them forever). */
  CALL_LOG_RETENTION_DAYS: z.coerce.number().min(0).max(36500).default(90),
  /** How often one replica prunes the call log. */
  CALL_LOG_PRUNE_INTERVAL_MS: ms(50, 3600_000),
  /** How long a vanished call leg may resume its session before the call ends with `disconnected` (same meaning as rooms'). */
  DISCONNECT_GRACE_MS: ms(0, 15_000),
  /** How often every replica looks for due timers (ring timeouts, vanished legs, chunk pulls). */
  SWEEP_INTERVAL_MS: z.coerce.number().int().min(20).max(60_000).default(500),
  /** A claimed timer stays with its replica this long; if that replica dies, another takes it over after it. */
  SWEEP_LEASE_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),

  /** Largest chunk accepted by `chunk.push`, decoded (`too_large` above). */
  CHUNK_MAX_BYTES: count(1, 64 * 1024, 64 * 1024),
  /** How long an announce makes a connection a source of a chunk. */
  CHUNK_SOURCE_TTL_MS: ms(1000, 3600_000),
  /** Chunks one connection may announce (`too_large` above). */
  CHUNK_MAX_ANNOUNCED: count(1, 10_000),
  /** Connections that may wait for one chunk at a time (`rate_limited` above). */
  CHUNK_MAX_WAITERS: count(1, 256, 100_000),
  /** Chunks one connection may wait for at a time (`rate_limited` above). */
  CHUNK_MAX_PENDING: count(1, 64, 10_000),
  /** How long a source has to answer `chunk.pull` before another source is asked. */
  CHUNK_PULL_TIMEOUT_MS: ms(50, 10_000, 10 * 60_000),
  /** Sources asked for one chunk before its waiters are told it is unavailable. */
  CHUNK_PULL_ATTEMPTS: count(1, 3, 20),
  /** Per-replica cache of pushed chunks: lifetime, entry cap and byte cap (LRU). */
  CHUNK_CACHE_TTL_MS: ms(1000, 30 * 60_000),
  CHUNK_CACHE_MAX_ENTRIES: count(1, 1024),
  CHUNK_CACHE_MAX_BYTES: count(128 * 1024, 64 * 1024 * 1024, 16 * 1024 * 1024 * 1024),
});

export type MediaConfig = z.infer<typeof mediaConfigSchema>;
