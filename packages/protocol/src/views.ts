import { z } from 'zod';
import { Id } from './common.js';

/**
 * Objects the server sends inside replies and events. Strict objects: a field a sender adds
 * without writing it here fails the contract check (dev/test mode), so docs/protocol.md,
 * generated from these schemas, lists every field a client can see.
 */

export const RoomViewSchema = z.strictObject({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  kind: z.enum(['p2p', 'sfu', 'group']),
  joinPolicy: z.enum(['open', 'approval']),
  visibility: z.enum(['public', 'private']),
  ownerId: z.string(),
  maxParticipants: z.number().int(),
  participantCount: z.number().int(),
  /** Milliseconds since the Unix epoch. */
  createdAt: z.number().int(),
  metadata: z.record(z.string(), z.unknown()),
  /** Broadcasts are kept for `session.resume` (with a seq) instead of live only. */
  replayEphemeral: z.boolean(),
});

export const ROLES = ['owner', 'moderator', 'member'] as const;

export const ParticipantViewSchema = z.strictObject({
  userId: z.string(),
  /** The connection holding the seat; it changes when the session resumes on a new connection. */
  connectionId: z.string(),
  name: z.string(),
  role: z.enum(ROLES),
  muted: z.boolean(),
  joinedAt: z.number().int(),
});

export const MessageViewSchema = z.strictObject({
  id: z.string(),
  roomId: z.string(),
  userId: z.string(),
  /** Empty when `deleted`. */
  text: z.string(),
  clientMsgId: z.string(),
  replyTo: z.string().optional(),
  attachments: z.array(z.unknown()),
  createdAt: z.number().int(),
  editedAt: z.number().int().optional(),
  deleted: z.boolean(),
  /** Emoji → how many users reacted with it. */
  reactions: z.record(z.string(), z.number().int()),
  /** Who reacted, per emoji, oldest first: at most 20 ids each (the count is in `reactions`). */
  reactedBy: z.record(z.string(), z.array(z.string())),
  /** The emojis the reader reacted with (`chat.history` only: events go to everyone, so they carry none). */
  myReactions: z.array(z.string()).optional(),
  pinned: z.boolean(),
  /** `voice` for a recorded push-to-talk spurt (absent: a text message). */
  kind: z.literal('voice').optional(),
  /** The recording of a `voice` message: an Ogg/Opus attachment (download with `chat.download`), its length and size. */
  voice: z.strictObject({ attachmentId: z.string(), talkId: z.string(), durationMs: z.number().int(), size: z.number().int(), contentType: z.literal('audio/ogg') }).optional(),
  /** The channel the message belongs to; absent for the room's default channel. */
  channelId: z.string().optional(),
});

/** A named channel of a room (the default channel has no entry and no id). */
export const ChannelViewSchema = z.strictObject({
  id: z.string(),
  name: z.string(),
  /** Order among the room's channels, 0 first (`channel.reorder`). */
  position: z.number().int().min(0),
  /** Archived channels keep their history but take no new messages. */
  archived: z.boolean(),
  createdBy: z.string(),
  createdAt: z.number().int(),
});

/** A custom emoji of a room: use it as `:name:`; fetch the image with `chat.download { roomId, attachmentId }`. */
export const EmojiViewSchema = z.strictObject({
  name: z.string(),
  attachmentId: z.string(),
  contentType: z.string(),
  size: z.number().int(),
  createdBy: z.string(),
  createdAt: z.number().int(),
});

/** What a viewer sees of a user: `offline` for users without a connection, and for invisible users seen by others. */
export const PRESENCE_STATUSES = ['online', 'away', 'busy', 'offline', 'invisible'] as const;
export const PresenceViewSchema = z.strictObject({
  status: z.enum(PRESENCE_STATUSES),
  lastSeen: z.number().int(),
  text: z.string().optional(),
  /** Device names of the user's live connections (`default` when the token named none). */
  devices: z.array(z.string()),
});

export const IceServerSchema = z.strictObject({ urls: z.array(z.string()), username: z.string().optional(), credential: z.string().optional() });

/** A LiveKit grant: the SFU URL, an access token and its expiry (ms since the epoch). */
export const SfuGrantSchema = z.strictObject({ url: z.string(), token: z.string(), expiresAt: z.number().int() });

/** A peer found by rendezvous or relay lookups. */
export const PeerSchema = z.strictObject({ connectionId: z.string(), userId: z.string(), publicKey: z.string().optional() });

export const RelayViewSchema = z.strictObject({
  connectionId: z.string(),
  userId: z.string(),
  capacity: z.number().int(),
  connected: z.number().int(),
  publicKey: z.string().optional(),
});

export const Empty = z.strictObject({});

/** A page of participants: the first that fit the reply budget, and where the rest starts (null: complete). */
const ParticipantsPage = { participants: z.array(ParticipantViewSchema), participantsCursor: z.string().nullable() };

/** Reply of `room.join` and `room.create`: the room, the first participants, and the room's seq at the join. */
export const JoinReplySchema = z.strictObject({ room: RoomViewSchema, ...ParticipantsPage, seq: z.number().int().min(0) });

/** `room.get`: also the room's channels (by position, archived included) and custom emoji (by name). */
export const RoomGetReplySchema = z.strictObject({ room: RoomViewSchema, ...ParticipantsPage, channels: z.array(ChannelViewSchema), emoji: z.array(EmojiViewSchema) });

export const CallReplySchema = z.strictObject({ callId: Id, sfu: SfuGrantSchema.optional() });

export type RoomView = z.output<typeof RoomViewSchema>;
export type ParticipantView = z.output<typeof ParticipantViewSchema>;
export type MessageView = z.output<typeof MessageViewSchema>;
export type ChannelView = z.output<typeof ChannelViewSchema>;
export type EmojiView = z.output<typeof EmojiViewSchema>;
export type PresenceView = z.output<typeof PresenceViewSchema>;
export type IceServerView = z.output<typeof IceServerSchema>;
export type SfuGrant = z.output<typeof SfuGrantSchema>;
export type Peer = z.output<typeof PeerSchema>;
export type RelayView = z.output<typeof RelayViewSchema>;
export type JoinReply = z.output<typeof JoinReplySchema>;
