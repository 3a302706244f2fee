import { z } from 'zod';
import { Id } from './common.js';
import { ERROR_CODES } from './errors.js';
import { IceServerSchema } from './views.js';

/**
 * `sb.sys.conn.gone`: presence's notice that a connection is gone (closed, or its gateway died).
 * Published by presence, consumed by rooms (seats) and media (calls, chunk sources).
 */
export const ConnGone = z.object({
  connectionId: Id,
  userId: Id,
  sessionId: z.string().max(64).default(''),
  nodeId: z.string().max(128).default(''),
  reason: z.string().max(200).default(''),
});
export type ConnGone = z.output<typeof ConnGone>;

/** Topic of `sb.sys.attestation.policy`: attestation's notice that a platform's version policy changed. */
export const ATTESTATION_POLICY_CHANGED = 'attestation.policy';
/** Body of `sb.sys.attestation.policy`: every gateway refetches that platform's policy. */
export const AttestationPolicyChanged = z.object({ platform: z.string().max(32) });
export type AttestationPolicyChanged = z.output<typeof AttestationPolicyChanged>;

/**
 * `sb.cmd.rooms.session.resume` (internal verb, gateway → rooms): move the seats of a
 * vanished connection of the caller's session to the caller's new connection. The client's
 * own `session.resume` frame has the same shape.
 */
export const RoomsResumeRequest = z.object({
  sessionId: z.string().min(1).max(64),
  rooms: z.record(Id, z.number().int().min(0)).refine((r) => Object.keys(r).length <= 100, 'at most 100 rooms'),
});
export type RoomsResumeRequest = z.output<typeof RoomsResumeRequest>;

/**
 * Why a room of a `session.resume` could not be resumed, and what the client does about it
 * (the `lost` details of the `conflict` reply): `seat_expired` (the disconnect grace passed, or
 * this session never sat there; the user is still a member) → `rejoin` with `room.join`;
 * `not_member` / `room_closed` → `none` (forget the room); `history_lost` (still seated, but the
 * missed events are no longer retained) and `over_budget` (more missed than one resume replays)
 * → `refetch` state with `room.get` / `chat.history` (live events already flow).
 */
export const RESUME_LOSS = {
  seat_expired: 'rejoin',
  not_member: 'none',
  room_closed: 'none',
  history_lost: 'refetch',
  over_budget: 'refetch',
} as const;
export type ResumeLossReason = keyof typeof RESUME_LOSS;
export type ResumeLoss = { reason: ResumeLossReason; action: (typeof RESUME_LOSS)[ResumeLossReason] };

/** Per room: whether the seat moved, the room's current seq, and what replay needs. */
export const RoomResumeState = z.strictObject({
  status: z.enum(['resumed', 'gone']),
  /** Why the seat did not move (when gone). */
  reason: z.enum(['seat_expired', 'not_member', 'room_closed']).optional(),
  /** The room's seq when the seat moved: replay covers (from, seq], live events follow. */
  seq: z.number().int().min(0),
  /** The connection the seat moved from (when resumed): replay delivers what was addressed to it and skips what excluded it. */
  previousConnectionId: Id.optional(),
  /** The room's seq when the seat was taken (when resumed): replay never starts at or before it. */
  joinSeq: z.number().int().min(0).optional(),
});
export type RoomResumeState = z.output<typeof RoomResumeState>;

/** Reply of `sb.cmd.rooms.session.resume`; the gateway validates it with this schema. */
export const RoomsResumeReply = z.strictObject({ rooms: z.record(Id, RoomResumeState) });
export type RoomsResumeReply = z.output<typeof RoomsResumeReply>;

/** Resumes one rooms `session.resume_batch` carries at most. */
export const ROOMS_RESUME_BATCH_MAX = 200;
/** Rooms (over all its resumes) one rooms `session.resume_batch` names at most: keeps its reply far below NATS's max_payload. */
export const ROOMS_RESUME_BATCH_MAX_ROOMS = 1_000;

/**
 * `sb.cmd.rooms.session.resume_batch` (internal verb, gateway → rooms): `session.resume` for
 * every client resume a gateway received in one event-loop turn (a reconnect storm's; ADR 0081).
 * Each entry is one client's request plus the user and connection it resumes on (the gateway's
 * own callers; the batch's caller is the gateway, whose node holds every entry's connection).
 */
export const RoomsResumeBatch = z.object({
  resumes: z
    .array(RoomsResumeRequest.extend({ userId: Id, connectionId: Id }))
    .min(1)
    .max(ROOMS_RESUME_BATCH_MAX)
    .refine((r) => r.reduce((n, e) => n + Object.keys(e.rooms).length, 0) <= ROOMS_RESUME_BATCH_MAX_ROOMS, `at most ${ROOMS_RESUME_BATCH_MAX_ROOMS} rooms in all`),
});
export type RoomsResumeBatch = z.output<typeof RoomsResumeBatch>;

/** A failed entry of a batch: the typed error its own `session.resume` would have answered. */
export const BatchItemError = z.strictObject({
  code: z.enum(ERROR_CODES),
  message: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
});
export type BatchItemError = z.output<typeof BatchItemError>;

/** Reply: per entry, in order, its reply or its error (one failing entry fails no other). */
export const RoomsResumeBatchReply = z.strictObject({
  results: z.array(z.union([z.strictObject({ ok: RoomsResumeReply }), z.strictObject({ error: BatchItemError })])),
});
export type RoomsResumeBatchReply = z.output<typeof RoomsResumeBatchReply>;

/**
 * Liveness probe of one connection: a bus Event of this type sent as a NATS request to
 * `sb.evt.conn.<id>`. The gateway holding the connection answers `ok` while its socket is
 * open (and never shows the event to the client); no responders, any other answer or no
 * answer in time means the connection is gone. Rooms probes before `session.resume` moves seats.
 */
export const CONNECTION_PROBE_EVENT = 'session.probe';

/** What changed about a user's (or everyone's) access to a room, as `sb.sys.room.access` carries it. */
export const ROOM_ACCESS_CHANGES = ['mute', 'unmute', 'kick', 'ban', 'leave', 'close', 'floor'] as const;

/**
 * `sb.sys.room.access`: the rooms service's notice that access to a room changed (a mute, a
 * kick or ban, a connection leaving, the room closing). Published by rooms, consumed by media
 * (one replica each) to enforce it in the SFU and end calls. `floor`: the push-to-talk floor
 * is now held by `userId`, or free (`userId` empty): only its holder may publish in the SFU
 * (ADR 0055). `userId` is empty for `close`;
 * `connectionId` is set for `leave`; `membershipEnded` when the user is no longer a member.
 */
export const RoomAccessChange = z.object({
  roomId: Id,
  change: z.enum(ROOM_ACCESS_CHANGES),
  userId: z.string().max(64).default(''),
  connectionId: z.string().max(64).default(''),
  membershipEnded: z.boolean().default(false),
});
export type RoomAccessChange = z.output<typeof RoomAccessChange>;
export type RoomAccessChangeInput = z.input<typeof RoomAccessChange>;

/** `sb.cmd.media.session.resume` (internal verb, gateway → media): move the session's call leg to the caller's connection. */
export const MediaResumeRequest = z.object({ sessionId: z.string().min(1).max(64) });
/** Reply: the calls whose leg moved. */
export const MediaResumeReply = z.strictObject({ calls: z.array(Id) });

/** Resumes one `session.resume_batch` carries at most. */
export const MEDIA_RESUME_BATCH_MAX = 500;

/**
 * `sb.cmd.media.session.resume_batch` (internal verb, gateway → media): `session.resume` for the
 * resumes rooms accepted in one gateway event-loop turn (a reconnect storm's; ADR 0070). Each
 * entry names the connection the session resumed on and its user (the gateway's own callers).
 */
export const MediaResumeBatch = z.object({
  resumes: z
    .array(z.object({ sessionId: z.string().min(1).max(64), userId: Id, connectionId: Id }))
    .min(1)
    .max(MEDIA_RESUME_BATCH_MAX),
});
/** Reply: per entry, in order, the calls whose leg moved (none when that entry's move failed). */
export const MediaResumeBatchReply = z.strictObject({ calls: z.array(z.array(Id)) });

/** Users one `ice.for_users` asks for at most. */
export const ICE_BATCH_MAX_USERS = 500;

/**
 * `sb.cmd.media.ice.for_users` (internal verb, gateway → media): the ICE servers of many users
 * at once, for the `hello`s a gateway sends in one event-loop turn (a connect storm's; ADR 0058).
 */
export const IceServersForUsers = z.object({ userIds: z.array(Id).min(1).max(ICE_BATCH_MAX_USERS) });
/** Reply: one entry per distinct user asked for; `expiresAt` (ms) when TURN credentials are in it. */
export const IceServersForUsersReply = z.strictObject({
  users: z.array(z.strictObject({ userId: Id, iceServers: z.array(IceServerSchema), expiresAt: z.number().int().optional() })),
});

const MAX_LIVENESS_BATCH = 10_000;

/**
 * `sb.cmd.presence.liveness.report` (internal verb, gateway → presence): one call per gateway
 * per interval with its opens and closes since the last call; it also refreshes the liveness
 * of every connection the gateway holds. Mirrors switchboard.presence.v1.ReportLivenessRequest.
 */
export const LivenessReport = z.object({
  nodeId: Id,
  /** Random per gateway process start: a new boot under the same node id expires the old boot's connections at once. */
  bootId: Id,
  opened: z
    .array(z.object({ connectionId: Id, userId: Id, sessionId: z.string().max(64).default(''), device: z.string().max(64).regex(/^[A-Za-z0-9_-]*$/).default(''), connectedAt: z.number().int().min(0) }))
    .max(MAX_LIVENESS_BATCH)
    .default([]),
  closed: z.array(Id).max(MAX_LIVENESS_BATCH).default([]),
  count: z.number().int().min(0),
  shutdown: z.boolean().default(false),
  held: z.array(Id).max(1_000_000).default([]),
  full: z.boolean().default(false),
});
export type LivenessReport = z.output<typeof LivenessReport>;

/** Reply of `liveness.report` (switchboard.presence.v1.ReportLivenessResponse as JSON). */
export const LivenessReportReply = z.strictObject({
  /** Send the next report within this many milliseconds. */
  intervalMs: z.number().int(),
  ttlMs: z.number().int(),
  /** Presence's count differs from the gateway's: send `held` with `full` next time. */
  resync: z.boolean(),
  /** Held connections presence no longer knows: the gateway closes them. */
  lost: z.array(z.string()),
});

/** Most packets one recorded talk may carry (60 s of 2.5 ms Opus frames, the smallest). */
export const PTT_RECORD_MAX_PACKETS = 24_000;

/**
 * `sb.cmd.media.ptt.record` (internal verb, gateway → media): one finished talk spurt, its Opus
 * packets in order (base64: once per talk, off the relay's hot path). Media muxes them into an
 * Ogg/Opus file and has rooms store it and post the `voice` message (docs/decisions/0054).
 */
export const PttRecordRequest = z.object({
  roomId: Id,
  talkId: Id,
  userId: Id,
  startedAt: z.number().int().min(0),
  endedAt: z.number().int().min(0),
  reason: z.enum(['released', 'timeout', 'disconnected', 'limit', 'left']),
  packets: z.array(z.string().max(8000)).min(1).max(PTT_RECORD_MAX_PACKETS),
});
export type PttRecordRequest = z.output<typeof PttRecordRequest>;
/** Reply: the voice message posted, and what it holds. */
export const PttRecordReply = z.strictObject({ messageId: z.string(), attachmentId: z.string(), durationMs: z.number().int(), size: z.number().int() });
