import { z } from 'zod';
import { Id } from './common.js';
import { CallReplySchema, Empty, IceServerSchema, SfuGrantSchema } from './views.js';

const CallRef = z.object({ callId: Id });

/** `call.ended` reasons. */
export const CALL_END_REASONS = ['ended', 'declined', 'timeout', 'disconnected', 'busy', 'room_closed', 'removed'] as const;
export type CallEndReason = (typeof CALL_END_REASONS)[number];
/** How a call went (call log, metrics): answered calls are `completed`, the others are named by why they stopped ringing. */
export const CALL_OUTCOMES = ['completed', 'missed', 'declined', 'cancelled', 'busy'] as const;
export type CallOutcome = (typeof CALL_OUTCOMES)[number];

/** Standard base64 (RFC 4648 §4), as `btoa` writes it. */
const Base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64');

/**
 * Chunk data travels as base64. The schema only bounds the string by what NATS carries
 * (1 MiB); the media service decodes it and answers `too_large` above its chunk limit
 * (64 KiB by default), so every oversized push gets the same typed answer.
 */
export const CHUNK_DATA_MAX_CHARS = 1 << 20;

export const media = {
  'call.start': {
    service: 'media', reply: CallReplySchema,
    doc: 'Starts a call in a room (members only). Reply {callId, sfu?:{url, token, expiresAt}}; every other participant of the room gets `call.incoming` {callId, from, media, mode, callees} (a room event). A room has one call at a time; a caller or callee already in a call gets `conflict` with details {reason:"busy"}.',
    schema: z.object({ roomId: Id, media: z.enum(['audio', 'video']), mode: z.enum(['p2p', 'sfu']) }),
  },
  'call.accept': {
    service: 'media', reply: CallReplySchema,
    doc: 'Answers a call (members of its room). Reply {callId, sfu?}; SFU calls return the LiveKit grant. Room members get `call.accepted` {callId, userId, connectionId}, so the callee\'s other devices stop ringing.',
    schema: CallRef,
  },
  'call.decline': { service: 'media', reply: Empty, doc: 'Declines a call for all of the user\'s devices; members get `call.declined` {callId, userId}. When every callee declined, the call ends with reason `declined`.', schema: CallRef },
  'call.end': { service: 'media', reply: Empty, doc: 'Hangs up (the caller, or a user who accepted); members get `call.ended` {callId, reason:"ended", by}.', schema: CallRef },
  'media.token': {
    service: 'media', reply: SfuGrantSchema,
    doc: 'A LiveKit grant for the room\'s SFU session (members only; banned → `forbidden`). Reply {url, token, expiresAt}: identity `<userId>:<connectionId>`, `roomJoin` for this room only, `roomAdmin` for the owner and moderators, no `canPublish` while muted. Short-lived (default 10 min): send again to refresh. `unavailable` when no SFU is configured or LiveKit does not answer.',
    schema: z.object({ roomId: Id }),
  },
  'ice.servers': {
    service: 'media', reply: z.strictObject({ iceServers: z.array(IceServerSchema), expiresAt: z.number().int().optional() }),
    doc: 'STUN plus fresh TURN credentials. Reply {iceServers, expiresAt?}: `expiresAt` (ms since the epoch) is when the TURN credentials stop working; absent when there are none.',
    schema: z.object({}).optional(),
  },
  'chunk.announce': {
    service: 'media', reply: z.strictObject({ announced: z.number().int() }),
    doc: 'Announces chunks this connection can serve (for 1 h, or until it disconnects). Reply {announced}.',
    schema: z.object({ chunkIds: z.array(Id).min(1).max(1000) }),
  },
  'chunk.request': {
    service: 'media', reply: z.strictObject({ status: z.enum(['cached', 'requested', 'pending']) }),
    doc: 'Requests a chunk. Reply {status:"cached"|"requested"|"pending"}; the data arrives as `chunk.data` {chunkId, data}. One source is asked (`chunk.pull`) however many connections wait; `not_found` when no source has it.',
    schema: z.object({ chunkId: Id }),
  },
  'chunk.push': {
    service: 'media', reply: z.strictObject({ delivered: z.number().int() }),
    doc: 'A source answers `chunk.pull` with the chunk (base64, ≤ 64 KiB decoded, else `too_large`); every waiter gets `chunk.data`. A push nobody asked this connection for is `forbidden`. Reply {delivered}.',
    schema: z.object({ chunkId: Id, data: Base64.max(CHUNK_DATA_MAX_CHARS) }),
  },
} as const;

/** A LiveKit participant as room events show it: the Switchboard user and connection behind its identity. */
const SfuParticipant = z.object({ userId: z.string(), connectionId: z.string(), identity: z.string(), participantSid: z.string() });
const SfuTrack = SfuParticipant.extend({ trackSid: z.string(), kind: z.string(), source: z.string(), muted: z.boolean() });

/**
 * Room events the media service publishes from LiveKit's webhooks (in the room's `seq` order,
 * kept for `session.resume` like every room event). One schema for the publisher and docs.
 */
export const MEDIA_EVENTS = {
  'media.participant_joined': SfuParticipant,
  'media.participant_left': SfuParticipant.extend({ reason: z.enum(['left', 'reconciled']) }),
  'media.track_published': SfuTrack,
  'media.track_unpublished': SfuTrack,
  'media.room_finished': z.object({ roomId: z.string() }),
} as const;
export type MediaEventType = keyof typeof MEDIA_EVENTS;
export type MediaEventData<T extends MediaEventType> = z.input<(typeof MEDIA_EVENTS)[T]>;
