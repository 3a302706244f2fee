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
    ATTESTATION_GRPC_URL: z.string().min(1).default('127.0.0.1:50054'),
    /** Attestation at upgrade: `off` (not checked), `log` (checked, only logged and counted), `enforce` (refused with 4010/4011/4012). */
    ATTESTATION_MODE: z.enum(['off', 'log', 'enforce']).default('off'),
    /** How often the cached version policy and token keys are refetched (a NATS notice also triggers it). */
    ATTESTATION_REFRESH_MS: z.coerce.number().int().min(1000).max(3600_000).default(60_000),
    /** Requests per minute one client address may make to each /v1/attest/* and /v1/servers route. */
    ATTEST_RATE_PER_MIN: z.coerce.number().int().min(1).max(100_000).default(30),
    /** This replica's public WebSocket URL in the server list (ws:// or wss://); unset: it does not register. */
    PUBLIC_URL: z.string().regex(/^wss?:\/\/\S+$/, 'must be a ws:// or wss:// URL').max(512).optional(),
    /** Region advertised in the server list. */
    REGION: z.string().max(64).default(''),
    /** Public key this replica advertises in the server list (opaque, e.g. for certificate pinning). */
    SERVER_PUBLIC_KEY: z.string().max(1024).default(''),
    /** Heartbeat interval of the registration (keep well below the attestation service's SERVER_TTL_MS). */
    SERVER_HEARTBEAT_MS: z.coerce.number().int().min(200).max(3600_000).default(60_000),
    /** How long the SB_AUDIT JetStream stream keeps admin audit entries. */
    AUDIT_MAX_AGE_DAYS: z.coerce.number().int().min(1).max(3650).default(90),
  })
  .refine((c) => c.JWT_SECRET || c.JWT_JWKS_URL, { message: 'set JWT_SECRET or JWT_JWKS_URL', path: ['JWT_SECRET'] });

export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;
