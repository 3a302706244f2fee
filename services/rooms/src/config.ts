import { grpcServiceConfigSchema, objectStorageConfigSchema } from '@switchboard/platform';
import { LIMITS } from '@switchboard/protocol';
import { z } from 'zod';

export const roomsConfigSchema = grpcServiceConfigSchema.extend({
  ...objectStorageConfigSchema.shape,
  /** Largest file one chat.upload may announce (`too_large` beyond; the presigned PUT signs the exact length). */
  ATTACHMENT_MAX_BYTES: z.coerce.number().int().min(1024).max(5 * 1024 * 1024 * 1024).default(25 * 1024 * 1024),
  /** Content types chat.upload accepts: exact `type/subtype` or `type/*`. */
  ATTACHMENT_TYPES: z
    .string()
    .default('image/*,audio/*,video/*,application/pdf,text/plain')
    .transform((s) => s.split(',').map((x) => x.trim().toLowerCase()).filter(Boolean)),
  /** Bytes of attachments one user may have stored at once, across rooms (pending uploads count). */
  ATTACHMENT_USER_QUOTA_BYTES: z.coerce.number().int().min(1024).default(1024 * 1024 * 1024),
  /** Uploads one user may have reserved and not yet sent at once. */
  ATTACHMENT_MAX_PENDING: z.coerce.number().int().min(1).max(1000).default(20),
  /** Lifetime of a presigned PUT; an upload not referenced by a chat.send within twice this is deleted. */
  ATTACHMENT_UPLOAD_TTL_S: z.coerce.number().int().min(1).max(86_400).default(600),
  /** Lifetime of a presigned GET from chat.download. */
  ATTACHMENT_URL_TTL_S: z.coerce.number().int().min(1).max(86_400).default(300),
  /** How often one replica removes objects of deleted messages, closed rooms and expired uploads. */
  ATTACHMENT_GC_INTERVAL_MS: z.coerce.number().int().min(50).default(30_000),
  /** Voice messages (recorded push-to-talk spurts) are deleted this long after they were spoken; 0 keeps them. */
  VOICE_RETENTION_MS: z.coerce.number().int().min(0).default(30 * 24 * 3600 * 1000),
  /** Largest recording rooms stores (media cuts talks well below: PTT_MAX_TALK_BYTES at the gateway). */
  VOICE_MAX_BYTES: z.coerce.number().int().min(1024).max(16 * 1024 * 1024).default(2 * 1024 * 1024),
  /** Named channels per room, archived ones included (`forbidden` beyond; ADR 0050). */
  CHANNELS_MAX_PER_ROOM: z.coerce.number().int().min(1).max(LIMITS.channelsPerRoom).default(50),
  /** Custom emoji per room (`forbidden` beyond; ADR 0051). */
  EMOJI_MAX_PER_ROOM: z.coerce.number().int().min(1).max(LIMITS.emojiPerRoom).default(50),
  /** Largest custom emoji image emoji.upload accepts (`too_large` beyond). */
  EMOJI_MAX_BYTES: z.coerce.number().int().min(64).max(1024 * 1024).default(256 * 1024),
  /** Distinct emoji one message may carry as reactions (`too_large` for one more). */
  REACTIONS_MAX_DISTINCT: z.coerce.number().int().min(1).max(200).default(20),
  HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(9101),
  GRPC_PORT: z.coerce.number().int().min(0).max(65535).default(50051),
  /** The default is the local development role that `npm start` creates (scripts/lib/infra.mjs). */
  DATABASE_URL: z.string().default('postgresql://switchboard:switchboard@127.0.0.1:5432/switchboard_rooms'),
  DEFAULT_MAX_PARTICIPANTS: z.coerce.number().int().min(1).default(100),
  ROOM_EVENTS_MAX_AGE_S: z.coerce.number().int().min(1).default(3600),
  ROOM_EVENTS_MAX_PER_ROOM: z.coerce.number().int().min(10).default(1000),
  ROOM_EVENTS_MAX_MSGS: z.coerce.number().int().min(1000).default(5_000_000),
  /** Bytes SB_ROOM_EVENTS keeps in all (oldest go first). */
  ROOM_EVENTS_MAX_BYTES: z.coerce.number().int().min(1024 * 1024).default(1024 * 1024 * 1024),
  /** Largest event SB_ROOM_EVENTS stores (live delivery is unaffected); room events are capped far below by the schemas. */
  ROOM_EVENTS_MAX_MSG_SIZE: z.coerce.number().int().min(32 * 1024).max(1024 * 1024).default(64 * 1024),
  /**
   * Room events this replica may have published and not yet seen acknowledged by their stream
   * (docs/decisions/0048): a command that publishes one answers after the ack; more wait their
   * turn. 0 publishes without acks (core NATS; a stream leader election can then miss events).
   */
  ROOM_EVENTS_ACK_WINDOW: z.coerce.number().int().min(0).max(65536).default(1024),
  /**
   * Joins of one event-loop turn read and create their memberships in one Postgres statement, at
   * most this many per statement (ADR 0088). 1: one statement per join, as before.
   */
  JOIN_BATCH_MAX: z.coerce.number().int().min(1).max(1000).default(200),
  /** Open rooms one user may own at once (`forbidden` beyond it). */
  ROOMS_MAX_OPEN_PER_USER: z.coerce.number().int().min(1).default(100),
  /** Rooms one user may create per hour (`rate_limited` beyond it). */
  ROOMS_CREATE_PER_HOUR: z.coerce.number().int().min(1).default(100),
  /**
   * Byte budget of one reply's list (rooms, messages, participants): longer lists are paged
   * (`hasMore` / a cursor). Stays well under NATS's max_payload (1 MiB).
   */
  /** Live room registry: each replica publishes its coalesced room changes at most once per this interval. */
  LOBBY_INTERVAL_MS: z.coerce.number().int().min(100).default(1000),
  REPLY_MAX_BYTES: z.coerce.number().int().min(32 * 1024).max(768 * 1024).default(256 * 1024),
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
  /** A claimed timer stays with its replica this long; if that replica dies, another takes it over after it. */
  SWEEP_LEASE_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
});

export type RoomsConfig = z.infer<typeof roomsConfigSchema>;
