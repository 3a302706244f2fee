import { z } from 'zod';
import { Id, SignalKind } from './common.js';
import { AudioBytes, PTT_END_REASONS } from './ptt.js';
import { CALL_END_REASONS, MEDIA_EVENTS } from './media.js';
import { ChannelViewSchema, EmojiViewSchema, IceServerSchema, MessageViewSchema, ParticipantViewSchema, PeerSchema, PRESENCE_STATUSES, ROLES, RoomViewSchema } from './views.js';

/**
 * Offered beside the encoding subprotocol (never echoed): the client asks `ice.servers` itself
 * when it starts a call, so a connect costs no TURN credentials and no `session.ice` (ADR 0095).
 */
export const ICE_ON_REQUEST_PROTOCOL = 'ice.on-request';

/**
 * Which subject an event travels on (`subjects` in subjects.ts): `room` is a room's ordered,
 * replayable stream (with `seq`); `live` a room's ephemeral stream (no seq, never replayed);
 * `user` every connection of one user; `conn` one connection; `presence` the watchers of one
 * user; `gateway` frames the gateway writes to a socket itself (never on the bus).
 */
export const EVENT_FAMILIES = ['room', 'live', 'user', 'conn', 'presence', 'gateway'] as const;
export type EventFamily = (typeof EVENT_FAMILIES)[number];

/**
 * Control data of an event that the gateway acts on, carried in the bus envelope's own fields
 * (bus.v1.Event `leave_*`, `room_closed`) so the gateway never reads `data` by type name:
 * after delivering it, this connection, every connection of this user, or everyone leaves the room.
 */
export interface EventControl {
  leaveConnectionId?: string;
  leaveUserId?: string;
  roomClosed?: boolean;
}

export interface EventSpec<S extends z.ZodType = z.ZodType> {
  readonly on: readonly EventFamily[];
  /** Who gets it and when; rendered into docs/protocol.md. */
  readonly doc: string;
  readonly schema: S;
  readonly control?: (data: z.output<S>) => EventControl;
}

/** Keeps each event's `control` typed by its own schema. */
const event = <S extends z.ZodType>(on: readonly EventFamily[], doc: string, schema: S, control?: (data: z.output<S>) => EventControl): EventSpec<S> => ({ on, doc, schema, control });

const LEAVE_REASONS = ['left', 'disconnected', 'kicked', 'banned'] as const;
const CallLeg = { callId: Id, userId: z.string() };
/** The channel a chat event is about (ADR 0050); absent for the room's default channel. */
const InChannel = z.string().optional();

/** `hello`: the first frame on every accepted connection. */
export const HelloSchema = z.strictObject({
  connectionId: z.string(),
  userId: z.string(),
  sessionId: z.string(),
  heartbeatMs: z.number().int(),
  /** STUN/TURN servers for RTCPeerConnection; only the STUN defaults while `iceServersPending`. */
  iceServers: z.array(IceServerSchema),
  /** True when the user's TURN credentials were not ready: `session.ice` follows with the full list (ADR 0080). Absent otherwise. */
  iceServersPending: z.literal(true).optional(),
  /**
   * True when the client offered the `ice.on-request` subprotocol (ICE_ON_REQUEST_PROTOCOL) and
   * the user's TURN credentials were not cached: `iceServers` holds the STUN defaults and no
   * `session.ice` follows; ask `ice.servers` before a call (ADR 0095). Absent otherwise.
   */
  iceServersOnRequest: z.literal(true).optional(),
  limits: z.strictObject({ maxFrameBytes: z.number().int(), ratePerSec: z.number(), burst: z.number() }),
  server: z.strictObject({ version: z.string(), node: z.string() }),
  /** Present when the upgrade carried a valid attestation token: the build it names and what to update to. */
  attestation: z.strictObject({ platform: z.string(), version: z.string(), recommended: z.string().nullable(), updateRecommended: z.boolean() }).optional(),
});

export type HelloData = z.input<typeof HelloSchema>;

/**
 * Every server event of protocol v1 (Immich's `ClientEventMap` idea): its data schema, the
 * subject family it travels on, and the control data the gateway acts on. Publishers are typed
 * by it (`EventData<E>`), senders validate against it in development and tests, and
 * docs/protocol.md lists it.
 */
export const EVENTS = {
  hello: event(['gateway'], 'The first frame on every accepted connection, before any reply.', HelloSchema),
  'session.ice': event(
    ['gateway'],
    'Follows `hello` when it said `iceServersPending: true`: the ICE servers with this user\'s TURN credentials (the STUN defaults if media did not answer). Use these, not `hello`\'s, for calls.',
    z.strictObject({ iceServers: z.array(IceServerSchema) }),
  ),
  'session.draining': event(['gateway'], 'This replica is shutting down: reconnect (any replica) after `reconnectInMs` and `session.resume`.', z.strictObject({ reconnectInMs: z.number().int().min(0) })),
  'session.replaced': event(['conn'], 'Sent to a connection replaced under a single-session policy (same device elsewhere), just before close 4002.', z.strictObject({ by: z.string() })),
  'session.closed': event(['conn'], 'An administrator disconnected this connection (`POST /admin/v1/users/{userId}/disconnect`); the socket closes with 4003 next.', z.strictObject({ reason: z.string() })),

  'room.participant_joined': event(['room'], 'A connection took a seat in the room.', z.strictObject({ participant: ParticipantViewSchema })),
  'room.participant_left': event(
    ['room'],
    'A seat was freed. The connection it names no longer belongs to the room.',
    z.strictObject({ userId: z.string(), connectionId: z.string(), reason: z.enum(LEAVE_REASONS) }),
    (d) => ({ leaveConnectionId: d.connectionId }),
  ),
  'room.participant_updated': event(
    ['room'],
    'A seat moved to a new connection (`session.resume`): signal `participant.connectionId` from now on, not `previousConnectionId`.',
    z.strictObject({ participant: ParticipantViewSchema, previousConnectionId: z.string() }),
  ),
  'room.updated': event(['room'], 'The room settings changed (`room.update`).', z.strictObject({ room: RoomViewSchema })),
  'room.role_changed': event(['room'], 'A member has a new role.', z.strictObject({ userId: z.string(), role: z.enum(ROLES) })),
  'room.participant_muted': event(['room'], 'A member was muted or unmuted.', z.strictObject({ userId: z.string(), muted: z.boolean() })),
  'room.broadcast': event(
    ['room', 'live'],
    'Opaque data from a member to the others (not its sender). On the live stream (no `seq`, not replayed) unless the room has `replayEphemeral`.',
    z.strictObject({ from: z.strictObject({ userId: z.string(), connectionId: z.string() }), data: z.unknown() }),
  ),
  'room.closed': event(['room'], 'The room was closed; every connection leaves it.', z.strictObject({ roomId: z.string() }), () => ({ roomClosed: true })),
  'room.removed': event(
    ['user'],
    'To every connection of a kicked or banned user; each of its seats also leaves with `room.participant_left` (reason `kicked` / `banned`).',
    z.strictObject({ roomId: z.string(), reason: z.enum(['kicked', 'banned']), message: z.string().optional() }),
  ),
  'room.join_requested': event(
    ['user'],
    'To the owner and moderators: a user asked to join (`room.request_join`).',
    z.strictObject({ requestId: z.string(), user: z.strictObject({ userId: z.string(), name: z.string() }), message: z.string().optional() }),
  ),
  'room.join_approved': event(['user'], 'To the requester: the request was approved; `room.join` now works.', z.strictObject({ roomId: z.string(), requestId: z.string() })),
  'room.join_rejected': event(['user'], 'To the requester: the request was rejected.', z.strictObject({ roomId: z.string(), requestId: z.string() })),

  'chat.message': event(['room'], 'A new message, to every member seated in the room, its sender\'s connections included (the echo confirms the seq).', z.strictObject({ message: MessageViewSchema })),
  'chat.edited': event(['room'], 'A message was edited.', z.strictObject({ message: MessageViewSchema })),
  'chat.deleted': event(['room'], 'A message was deleted.', z.strictObject({ messageId: z.string(), channelId: InChannel })),
  'chat.reaction': event(['room'], 'A user added (`on`) or removed a reaction.', z.strictObject({ messageId: z.string(), emoji: z.string(), userId: z.string(), on: z.boolean(), channelId: InChannel })),
  'chat.pinned': event(['room'], 'A message was pinned or unpinned.', z.strictObject({ messageId: z.string(), pinned: z.boolean(), channelId: InChannel })),
  'chat.read': event(['room'], 'A read receipt (the reader\'s last read message in that channel).', z.strictObject({ userId: z.string(), messageId: z.string(), channelId: InChannel })),
  'chat.typing': event(['live'], 'Typing indicator in a channel, to every seated member including the typist; lapses after 5 s with `typing:false`.', z.strictObject({ userId: z.string(), typing: z.boolean(), channelId: InChannel })),

  'channel.created': event(['room'], 'A channel was created (`channel.create`).', z.strictObject({ channel: ChannelViewSchema })),
  'channel.updated': event(['room'], 'A channel was renamed, archived or restored: its new state.', z.strictObject({ channel: ChannelViewSchema })),
  'channel.reordered': event(['room'], 'The channels have a new order: every channel id, first to last.', z.strictObject({ channelIds: z.array(z.string()) })),
  'emoji.created': event(['room'], 'A custom emoji was added (`emoji.create`).', z.strictObject({ emoji: EmojiViewSchema })),
  'emoji.deleted': event(['room'], 'A custom emoji was deleted; `:name:` no longer works in new reactions.', z.strictObject({ name: z.string() })),

  'floor.taken': event(
    ['room'],
    'A member took the push-to-talk floor: the connection holding it, the talk spurt its `ptt.audio` frames carry, and when the lease lapses unless refreshed.',
    z.strictObject({ userId: z.string(), connectionId: z.string(), talkId: Id, expiresAt: z.number().int() }),
  ),
  'floor.released': event(['room'], 'The floor is free again.', z.strictObject({ userId: z.string(), reason: z.enum(['released', 'timeout', 'disconnected']), talkId: Id.optional() })),
  'ptt.audio': event(
    ['live'],
    'One Opus packet of the floor holder\'s talk spurt, to the other members seated in the room, in the order sent (live stream: never replayed; the recording arrives later as a `voice` `chat.message`). `data`: MessagePack `bin`, or base64 on JSON connections.',
    z.strictObject({ talkId: Id, userId: z.string(), seq: z.number().int(), data: AudioBytes }),
  ),
  'ptt.ended': event(
    ['live'],
    'A talk spurt ended (floor released, lease timeout, holder disconnected or left, or the talk reached its cap: `limit`), with what was relayed.',
    z.strictObject({ talkId: Id, userId: z.string(), reason: z.enum(PTT_END_REASONS), frames: z.number().int(), bytes: z.number().int(), durationMs: z.number().int() }),
  ),

  signal: event(
    ['conn'],
    'A WebRTC signal from another connection (`signal`).',
    z.strictObject({ from: z.string(), fromUser: z.string(), roomId: z.string().optional(), kind: SignalKind, payload: z.unknown() }),
  ),
  'signal.failed': event(
    ['gateway'],
    'Delivery report of a `signal` answered `signal.ok` before the target was reached: a signal of any kind (offer, answer, candidate, bye, custom) to a target that had accepted a signal from this connection moments before is relayed without waiting for the target\'s replica (ADRs 0056, 0066). When that replica refuses it (`forbidden`: the target left the room or the pairing ended; `internal`: its replica failed to write it) or no replica holds the target any more (`not_found`: re-target on `room.participant_updated`), this event names it, with the signal\'s `kind`; nothing is sent for signals that were delivered. The first signal to a target, and the next one after a refusal or after the trust lapsed, keeps its synchronous error reply.',
    z.strictObject({ to: z.string(), roomId: z.string().optional(), kind: SignalKind, code: z.enum(['forbidden', 'not_found', 'internal']), message: z.string() }),
  ),
  'pair.requested': event(
    ['conn'],
    'To a pairing code\'s owner: a connection asks to pair.',
    z.strictObject({ requestId: z.string(), from: z.string(), fromUser: z.string(), publicKey: z.string().optional(), message: z.string().optional() }),
  ),
  'pair.accepted': event(['conn'], 'To the requester: paired with `peer`; both may `signal` each other now.', z.strictObject({ requestId: z.string(), peer: z.string(), peerUser: z.string(), publicKey: z.string().optional() })),
  'pair.rejected': event(['conn'], 'To the requester: the pairing was refused.', z.strictObject({ requestId: z.string() })),

  'presence.changed': event(
    ['presence'],
    'To watchers (`presence.subscribe`) of a user whose presence changed.',
    z.strictObject({ userId: z.string(), status: z.enum(PRESENCE_STATUSES), lastSeen: z.number().int(), text: z.string().optional(), devices: z.array(z.string()) }),
  ),
  'rooms.changed': event(
    ['gateway'],
    'To a `rooms.subscribe` watcher, at most once per second: the public rooms matching its filter that changed (latest state) and the ids of rooms closed since the last batch.',
    z.strictObject({ updated: z.array(RoomViewSchema), closed: z.array(z.string()) }),
  ),
  'rendezvous.match': event(['conn'], 'To a peer registered earlier on the same hourly token.', z.strictObject({ token: z.string(), peer: PeerSchema })),

  'call.incoming': event(
    ['room'],
    'A call rings: to every connection seated in the room but the caller\'s.',
    z.strictObject({
      callId: Id,
      from: z.strictObject({ userId: z.string(), connectionId: z.string(), name: z.string() }),
      media: z.enum(['audio', 'video']),
      mode: z.enum(['p2p', 'sfu']),
      callees: z.array(z.string()),
      expiresAt: z.number().int(),
    }),
  ),
  'call.accepted': event(['room'], 'A callee answered (its other devices stop ringing).', z.strictObject({ ...CallLeg, connectionId: z.string() })),
  'call.declined': event(['room'], 'A callee declined on all its devices.', z.strictObject(CallLeg)),
  'call.ended': event(['room'], 'The call ended; `by` names who hung up, whose leg was gone, or who was removed.', z.strictObject({ callId: Id, reason: z.enum(CALL_END_REASONS), by: z.string().optional() })),
  'call.reconnected': event(['room'], 'A leg resumed on a new connection.', z.strictObject({ ...CallLeg, connectionId: z.string(), previousConnectionId: z.string() })),
  'media.participant_joined': event(['room'], 'A LiveKit participant joined the room\'s SFU session.', MEDIA_EVENTS['media.participant_joined']),
  'media.participant_left': event(['room'], 'A LiveKit participant left (or was found gone by reconcile).', MEDIA_EVENTS['media.participant_left']),
  'media.track_published': event(['room'], 'A track was published in the SFU.', MEDIA_EVENTS['media.track_published']),
  'media.track_unpublished': event(['room'], 'A track was unpublished.', MEDIA_EVENTS['media.track_unpublished']),
  'media.room_finished': event(['room'], 'The room\'s LiveKit session ended.', MEDIA_EVENTS['media.room_finished']),

  'chunk.pull': event(['conn'], 'To a source: push this chunk (`chunk.push`).', z.strictObject({ chunkId: z.string() })),
  'chunk.data': event(['conn'], 'To each requester: the chunk, base64.', z.strictObject({ chunkId: z.string(), data: z.string() })),
  'chunk.unavailable': event(['conn'], 'To each requester: no source pushed the chunk in time.', z.strictObject({ chunkId: z.string() })),
} as const satisfies Record<string, EventSpec>;

export type EventType = keyof typeof EVENTS;
/** What a publisher passes (defaults may be left out). */
export type EventData<E extends EventType> = z.input<(typeof EVENTS)[E]['schema']>;
type OnFamily<F extends EventFamily> = { [E in EventType]: F extends (typeof EVENTS)[E]['on'][number] ? E : never }[EventType];
/** Events of a room's ordered stream (`toRoom`). */
export type RoomEvent = OnFamily<'room'>;
/** Ephemeral room events (`live`). */
export type LiveEvent = OnFamily<'live'>;
export type UserEvent = OnFamily<'user'>;
export type ConnectionEvent = OnFamily<'conn'>;
export type PresenceEvent = OnFamily<'presence'>;
export type GatewayEvent = OnFamily<'gateway'>;

export function eventSpec(type: string): EventSpec | undefined {
  return Object.prototype.hasOwnProperty.call(EVENTS, type) ? (EVENTS as Record<string, EventSpec>)[type] : undefined;
}
