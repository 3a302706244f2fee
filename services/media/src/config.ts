import { csv, grpcServiceConfigSchema } from '@switchboard/platform';
import { z } from 'zod';

const ms = (min: number, fallback: number, max = 7 * 24 * 3600_000) => z.coerce.number().int().min(min).max(max).default(fallback);
/** An empty variable (e.g. a Helm value left blank) counts as unset. */
const unsetIfEmpty = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema);
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

  /** LiveKit (the SFU) as clients reach it (`wss://`, or `https://` written as such); unset or empty: SFU verbs answer `unavailable`. */
  LIVEKIT_URL: unsetIfEmpty(z.string().regex(/^(wss?|https?):\/\//, 'LIVEKIT_URL must be a ws(s):// or http(s):// URL').optional()),
  /** Where the media service calls LiveKit's Twirp API, e.g. an in-cluster Service (default: LIVEKIT_URL as http(s)://). */
  LIVEKIT_API_URL: unsetIfEmpty(z.string().regex(/^https?:\/\//, 'LIVEKIT_API_URL must be an http:// or https:// URL').optional()),
  LIVEKIT_API_KEY: unsetIfEmpty(z.string().min(1).optional()),
  /** Signs access tokens and API calls, verifies webhooks. */
  LIVEKIT_API_SECRET: unsetIfEmpty(z.string().min(1).optional()),
  /** Why there is no LiveKit (set by `npm start` when it could not build or start one); shown by /readyz. */
  LIVEKIT_UNAVAILABLE_REASON: unsetIfEmpty(z.string().max(2000).optional()),
  /** Lifetime of a `media.token` grant (refresh by asking again). */
  LIVEKIT_TOKEN_TTL_S: z.coerce.number().int().min(30).max(24 * 3600).default(600),
  /** LiveKit closes an SFU room this long after it was created without anyone joining / after the last one left. */
  LIVEKIT_EMPTY_TIMEOUT_S: z.coerce.number().int().min(1).max(24 * 3600).default(300),
  LIVEKIT_DEPARTURE_TIMEOUT_S: z.coerce.number().int().min(1).max(24 * 3600).default(20),
  /** Deadline of one LiveKit API call (then `unavailable`). */
  LIVEKIT_REQUEST_TIMEOUT_MS: ms(100, 5000, 60_000),
  /** How long a webhook's event id is remembered to drop LiveKit's retries of it. */
  LIVEKIT_WEBHOOK_DEDUPE_S: z.coerce.number().int().min(10).max(7 * 24 * 3600).default(3600),
  /** Largest webhook body accepted (413 above). */
  LIVEKIT_WEBHOOK_MAX_BYTES: count(1024, 256 * 1024, 16 * 1024 * 1024),
  /** How often one replica compares LiveKit's participants with what webhooks told us (also once at start). */
  LIVEKIT_RECONCILE_INTERVAL_MS: ms(100, 60_000),
});

export type MediaConfig = z.infer<typeof mediaConfigSchema>;

/** LiveKit's connection settings when the SFU is configured (URL, key and secret all set), else undefined. */
export function livekitSettings(c: MediaConfig): { url: string; apiUrl: string; apiKey: string; apiSecret: string } | undefined {
  if (!c.LIVEKIT_URL || !c.LIVEKIT_API_KEY || !c.LIVEKIT_API_SECRET) return undefined;
  return { url: c.LIVEKIT_URL.replace(/^http/, 'ws'), apiUrl: c.LIVEKIT_API_URL ?? c.LIVEKIT_URL.replace(/^ws/, 'http'), apiKey: c.LIVEKIT_API_KEY, apiSecret: c.LIVEKIT_API_SECRET };
}
