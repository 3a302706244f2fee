import { baseConfigSchema, csv } from '@switchboard/platform';
import { z } from 'zod';

export const gatewayConfigSchema = baseConfigSchema
  .extend({
    HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
    /** HS256 shared secret for client JWTs (and for POST /admin/v1/tokens). */
    JWT_SECRET: z.string().min(16, 'JWT_SECRET must be at least 16 characters').optional(),
    /** RS256/EdDSA keys for client JWTs; fetched, cached and refreshed by jose. */
    JWT_JWKS_URL: z.string().url().optional(),
    JWT_ISSUER: z.string().optional(),
    JWT_AUDIENCE: z.string().optional(),
    /** Admin API keys (comma separated) for /admin/v1. */
    ADMIN_API_KEYS: csv,
    MAX_FRAME_BYTES: z.coerce.number().int().min(1024).max(16 * 1024 * 1024).default(65536),
    /** Nesting levels and values (keys count) a frame's `data` may have; checked before decoding MessagePack. */
    FRAME_MAX_DEPTH: z.coerce.number().int().min(1).max(256).default(32),
    FRAME_MAX_NODES: z.coerce.number().int().min(16).max(1_000_000).default(10_000),
    /** One session.resume replays at most this many room events and bytes (all rooms together); rooms beyond answer `conflict` (refetch). */
    RESUME_MAX_EVENTS: z.coerce.number().int().min(1).default(2000),
    RESUME_MAX_BYTES: z.coerce.number().int().min(1024).default(1024 * 1024),
    /** A connection whose unsent outbound bytes exceed this is a slow consumer: closed with 1013. */
    OUTBOUND_MAX_BYTES: z.coerce.number().int().min(64 * 1024).default(4 * 1024 * 1024),
    /** How long a slow consumer's close frame may take to get out before the socket is dropped. */
    OUTBOUND_CLOSE_GRACE_MS: z.coerce.number().int().min(0).default(1000),
    RATE_PER_SEC: z.coerce.number().min(1).default(50),
    RATE_BURST: z.coerce.number().int().min(1).default(100),
    /** A connection that exceeds the rate this many times in a row is disconnected (1008). */
    RATE_MAX_VIOLATIONS: z.coerce.number().int().min(1).default(50),
    HEARTBEAT_MS: z.coerce.number().int().min(1000).default(25000),
    DRAIN_GRACE_MS: z.coerce.number().int().min(0).default(10000),
    /** Default ICE servers when the media service does not answer (comma separated URLs). */
    STUN_URLS: csv,
    /** Reordering window for room events that arrive out of seq order from different replicas. */
    REORDER_WINDOW_MS: z.coerce.number().int().min(1).default(250),
    VERSION: z.string().default('0.1.0'),
    /** gRPC addresses the admin REST layer calls (host:port). */
    ROOMS_GRPC_URL: z.string().min(1).default('127.0.0.1:50051'),
    PRESENCE_GRPC_URL: z.string().min(1).default('127.0.0.1:50052'),
    MEDIA_GRPC_URL: z.string().min(1).default('127.0.0.1:50053'),
    /** How long the SB_AUDIT JetStream stream keeps admin audit entries. */
    AUDIT_MAX_AGE_DAYS: z.coerce.number().int().min(1).max(3650).default(90),
  })
  .refine((c) => c.JWT_SECRET || c.JWT_JWKS_URL, { message: 'set JWT_SECRET or JWT_JWKS_URL', path: ['JWT_SECRET'] });

export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;
