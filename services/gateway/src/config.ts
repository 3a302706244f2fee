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
    /** HS256 secret of admin JWTs (POST /admin/v1/admin-tokens); unset → only API keys are admins. Never JWT_SECRET. */
    ADMIN_JWT_SECRET: z.string().min(32, 'ADMIN_JWT_SECRET must be at least 32 characters').optional(),
    /** Audience (`aud`) every admin JWT must carry. */
    ADMIN_JWT_AUDIENCE: z.string().min(1).default('switchboard-admin'),
    /** Longest lifetime of an admin JWT (default and maximum at minting; checked against `iat` on use). */
    ADMIN_JWT_MAX_TTL_S: z.coerce.number().int().min(60).max(7 * 24 * 3600).default(3600),
    MAX_FRAME_BYTES: z.coerce.number().int().min(1024).max(16 * 1024 * 1024).default(65536),
    /** Nesting levels and values (keys count) a frame's `data` may have; checked before decoding MessagePack. */
    FRAME_MAX_DEPTH: z.coerce.number().int().min(1).max(256).default(32),
    FRAME_MAX_NODES: z.coerce.number().int().min(16).max(1_000_000).default(10_000),
    /** One session.resume replays at most this many room events and bytes (all rooms together); rooms beyond answer `conflict` (refetch). */
    RESUME_MAX_EVENTS: z.coerce.number().int().min(1).default(2000),
    RESUME_MAX_BYTES: z.coerce.number().int().min(1024).default(1024 * 1024),
    /**
     * Shared replay reads (ADR 0060): rooms whose recent events this replica keeps for resumes (0 turns
     * the cache off), their total bytes, events per room, and how long a room nobody resumes stays.
     */
    RESUME_TAIL_MAX_ROOMS: z.coerce.number().int().min(0).default(2000),
    RESUME_TAIL_MAX_BYTES: z.coerce.number().int().min(64 * 1024).default(32 * 1024 * 1024),
    RESUME_TAIL_ROOM_MAX_EVENTS: z.coerce.number().int().min(1).default(1000),
    RESUME_TAIL_IDLE_MS: z.coerce.number().int().min(100).default(15_000),
    /** A connection whose unsent outbound bytes exceed this is a slow consumer: closed with 1013. */
    OUTBOUND_MAX_BYTES: z.coerce.number().int().min(64 * 1024).default(4 * 1024 * 1024),
    /** How long a slow consumer's close frame may take to get out before the socket is dropped. */
    OUTBOUND_CLOSE_GRACE_MS: z.coerce.number().int().min(0).default(1000),
    /** `turn`: a socket's frames of one event-loop turn leave in one write; `burst`: the same from its second frame of a turn on (ADR 0099); `frame` (default): one write per frame. Opt-in: no cheaper at a steady fan-out (ADR 0087). */
    WS_WRITES: z.enum(['turn', 'burst', 'frame']).default('frame'),
    RATE_PER_SEC: z.coerce.number().min(1).default(50),
    RATE_BURST: z.coerce.number().int().min(1).default(100),
    /** A connection that exceeds the rate this many times in a row is disconnected (1008). */
    RATE_MAX_VIOLATIONS: z.coerce.number().int().min(1).default(50),
    HEARTBEAT_MS: z.coerce.number().int().min(1000).default(25000),
    DRAIN_GRACE_MS: z.coerce.number().int().min(0).default(10000),
    /** Live room registry: `rooms.changed` goes to each watcher at most once per this interval. */
    LOBBY_INTERVAL_MS: z.coerce.number().int().min(100).default(1000),
    /** `rooms.subscribe` watchers one gateway serves at most (one per connection); more get `unavailable`. */
    LOBBY_MAX_WATCHERS: z.coerce.number().int().min(1).default(10_000),
    /** Default ICE servers when the media service does not answer (comma separated URLs). */
    STUN_URLS: csv,
    /** Users whose TURN credentials `hello` reuses (for half their lifetime; least recently used out first); 0 asks media on every connect. */
    ICE_CACHE_MAX_USERS: z.coerce.number().int().min(0).max(10_000_000).default(100_000),
    /** Connects missing ICE credentials within this window share one `ice.for_users` request to media (0: one per event-loop turn; ADR 0080). */
    ICE_BATCH_WINDOW_MS: z.coerce.number().int().min(0).max(1000).default(50),
    /**
     * `pending` (default): `hello` goes out at once; a user without cached TURN credentials gets the STUN
     * defaults with `iceServersPending: true`, then `session.ice`. `wait`: `hello` waits for media as
     * before (clients that never read `session.ice`). ADR 0080.
     */
    HELLO_ICE: z.enum(['pending', 'wait']).default('pending'),
    /**
     * Opens and closes within this window go to presence in one `liveness.report` (0: one per
     * event-loop turn; ADR 0080). Default 0: a client that asks about itself right after `hello`
     * (presence.query, another client's rendezvous match) must see itself online; a window > 0
     * saves reports in a connect storm at the price of that read-your-own-connect.
     */
    PRESENCE_REPORT_WINDOW_MS: z.coerce.number().int().min(0).max(1000).default(0),
    /** Reordering window for room events that arrive out of seq order from different replicas. */
    REORDER_WINDOW_MS: z.coerce.number().int().min(1).default(250),
    VERSION: z.string().default('0.1.0'),
    /** gRPC addresses the admin REST layer calls (host:port). */
    ROOMS_GRPC_URL: z.string().min(1).default('127.0.0.1:50051'),
    PRESENCE_GRPC_URL: z.string().min(1).default('127.0.0.1:50052'),
    MEDIA_GRPC_URL: z.string().min(1).default('127.0.0.1:50053'),
    /** Live WebSocket connections one user may hold across all gateways (upgrade answered 429 beyond it). */
    MAX_CONNECTIONS_PER_USER: z.coerce.number().int().min(1).default(20),
    /**
     * Signals skip the request/reply to a target that accepted a signal from the same connection
     * within SIGNAL_TRUST_MS (refusals then come as `signal.failed`, ADRs 0056 and 0066); each
     * connection remembers at most SIGNAL_TRUSTED_TARGETS such (target, room) pairs.
     */
    SIGNAL_TRUST_MS: z.coerce.number().int().min(0).max(300_000).default(15_000),
    SIGNAL_TRUSTED_TARGETS: z.coerce.number().int().min(0).max(256).default(16),
    /** Window of the pairing limits below. */
    PAIR_LIMIT_WINDOW_MS: z.coerce.number().int().min(1000).default(600_000),
    /** `pair.request`s with an unknown code one user may make per window (then `rate_limited`). */
    PAIR_MAX_FAILED_LOOKUPS: z.coerce.number().int().min(1).default(10),
    /** `pair.request`s one connection (a code's owner) may receive per window (then `rate_limited`). */
    PAIR_MAX_REQUESTS_PER_TARGET: z.coerce.number().int().min(1).default(10),
    ATTESTATION_GRPC_URL: z.string().min(1).default('127.0.0.1:50054'),
    /** Attestation at upgrade: `off` (not checked), `log` (checked, only logged and counted), `enforce` (refused with 4010/4011/4012). */
    ATTESTATION_MODE: z.enum(['off', 'log', 'enforce']).default('off'),
    /** How often the cached version policy and token keys are refetched (a NATS notice also triggers it). */
    ATTESTATION_REFRESH_MS: z.coerce.number().int().min(1000).max(3600_000).default(60_000),
    /** Proxies in front of the gateway whose X-Forwarded-For is trusted for the client address (Express `trust proxy`); 0 = the socket's peer. */
    TRUST_PROXY_HOPS: z.coerce.number().int().min(0).max(10).default(0),
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
    /** Push-to-talk audio frames per second one connection may send (20 ms Opus packets are 50/s), and the burst. */
    PTT_RATE_PER_SEC: z.coerce.number().min(1).default(100),
    PTT_BURST: z.coerce.number().int().min(1).default(100),
    /** Longest talk spurt and most audio bytes in one: beyond either the talk ends (`limit`) and the floor is released. */
    PTT_MAX_TALK_MS: z.coerce.number().int().min(100).max(600_000).default(60_000),
    PTT_MAX_TALK_BYTES: z.coerce.number().int().min(1024).max(512 * 1024).default(256 * 1024),
    /** How long after rooms last confirmed a seat this replica answers its broadcasts and typing itself; then one goes to rooms again (ADR 0062). Bounds the trust in a removal event that never came (rooms died mid-kick). */
    SEAT_RECHECK_MS: z.coerce.number().int().min(1000).max(3_600_000).default(30_000),
    /** Typing indicator lifetime for `chat.typing` this replica answers (default channel, ADR 0062); keep it equal to rooms' TYPING_TTL_MS. */
    TYPING_TTL_MS: z.coerce.number().int().min(100).default(5000),
    /** Record talk spurts as voice messages (media ptt.record). */
    PTT_RECORD: z
      .enum(['true', 'false'])
      .default('true')
      .transform((v) => v === 'true'),
  })
  .refine((c) => c.JWT_SECRET || c.JWT_JWKS_URL, { message: 'set JWT_SECRET or JWT_JWKS_URL', path: ['JWT_SECRET'] })
  .refine((c) => !c.ADMIN_JWT_SECRET || c.ADMIN_JWT_SECRET !== c.JWT_SECRET, { message: 'ADMIN_JWT_SECRET must differ from JWT_SECRET', path: ['ADMIN_JWT_SECRET'] });

export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;
