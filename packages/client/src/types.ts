import type { ChannelView, CommandData, EmojiView, HelloData, ParticipantView, RoomView, ServerEvent, Verb } from '@switchboard/protocol';

export type { ChannelView, EmojiView, HelloData, ParticipantView, RoomView, ServerEvent, Verb };

/** What `request(verb, data)` takes for a verb: the input of the verb's protocol schema. */
export type RequestData<V extends Verb> = CommandData<V>;

/** A chat message as `chat.send` / `chat.history` / `chat.message` carry it. */
export interface ChatMessage {
  id: string;
  roomId: string;
  userId: string;
  text: string;
  clientMsgId?: string;
  replyTo?: string | null;
  attachments?: { url: string; name?: string; mime?: string; size?: number }[];
  createdAt: number;
  editedAt?: number | null;
  deleted?: boolean;
  pinned?: boolean;
  /** Reaction counts per emoji. */
  reactions?: Record<string, number>;
  /** Who reacted per emoji, oldest first, at most 20 ids each. */
  reactedBy?: Record<string, string[]>;
  /** The emojis the reader reacted with (`chat.history` only). */
  myReactions?: string[];
  /** The channel of the message; absent for the room's default channel. */
  channelId?: string;
  [k: string]: unknown;
}

/** The room snapshot `room.join` / `room.create` / `room.get` answer with. */
export interface RoomSnapshot {
  room: RoomView;
  participants: ParticipantView[];
  participantsCursor: string | null;
  seq: number;
}

/** A LiveKit grant as `media.token`, `call.start` and `call.accept` (SFU mode) return it. */
export interface SfuGrant {
  /** The LiveKit server's WebSocket URL. */
  url: string;
  /** A LiveKit access token for this room only (identity `<userId>:<connectionId>`). */
  token: string;
  expiresAt: number;
}

/** `room.get`: the snapshot plus the room's channels (by position) and custom emoji (by name). */
export interface RoomDetails extends Omit<RoomSnapshot, 'seq'> {
  channels: ChannelView[];
  emoji: EmojiView[];
}

/**
 * Reply data of the verbs whose reply shape the SDK knows; every other verb resolves with
 * the reply's `data` object as sent (see docs/protocol.md).
 */
export interface KnownReplies {
  'room.create': RoomSnapshot;
  'room.join': RoomSnapshot;
  'room.get': RoomDetails;
  'room.list': { rooms: RoomView[]; nextCursor: string | null; hasMore: boolean };
  'chat.send': { message: ChatMessage };
  'chat.history': { messages: ChatMessage[]; hasMore: boolean; lastReadId?: string };
  'channel.create': { channel: ChannelView };
  'channel.rename': { channel: ChannelView };
  'channel.archive': { channel: ChannelView };
  'channel.reorder': { channels: ChannelView[] };
  'emoji.upload': { attachmentId: string; upload: { method: 'PUT'; url: string; headers: Record<string, string>; expiresAt: number } };
  'emoji.create': { emoji: EmojiView };
  'session.resume': { replayed: number };
  'media.token': SfuGrant;
  'call.start': { callId: string; sfu?: SfuGrant };
  'call.accept': { callId: string; sfu?: SfuGrant };
  'floor.request': { expiresAt: number; talkId: string };
  'pair.register': { code: string };
  'rooms.subscribe': { rooms: RoomView[]; truncated: boolean };
  ping: { ts: number };
}

export type ReplyOf<V extends Verb> = V extends keyof KnownReplies ? KnownReplies[V] : Record<string, any>;

/** `signal` as the target receives it. */
export interface SignalEvent {
  from: string;
  fromUser: string;
  roomId?: string;
  kind: 'offer' | 'answer' | 'ice' | 'bye' | 'custom';
  payload: any;
}

/** Data of the server events whose shape the SDK knows; others arrive as `Record<string, any>`. */
export interface KnownEvents {
  'chat.message': { message: ChatMessage };
  'chat.edited': { message: ChatMessage } & Record<string, any>;
  'chat.deleted': Record<string, any>;
  'channel.created': { channel: ChannelView };
  'channel.updated': { channel: ChannelView };
  'channel.reordered': { channelIds: string[] };
  'emoji.created': { emoji: EmojiView };
  'emoji.deleted': { name: string };
  'room.participant_joined': { participant: ParticipantView };
  'room.participant_left': { userId: string; connectionId: string; reason: string };
  'room.participant_updated': { participant: ParticipantView; previousConnectionId: string };
  'room.closed': Record<string, any>;
  'room.removed': { reason: string } & Record<string, any>;
  'rooms.changed': RoomsChanged;
  signal: SignalEvent;
  /** A `signal` answered `signal.ok` before it reached the target (any kind, to a peer that accepted a signal moments before) was refused or found no target (ADRs 0056, 0066). */
  'signal.failed': { to: string; roomId?: string; kind: SignalEvent['kind']; code: 'forbidden' | 'not_found' | 'internal'; message: string };
  /** The ICE servers with this user's TURN credentials, after a `hello` with `iceServersPending` (ADR 0080). */
  'session.ice': { iceServers: HelloData['iceServers'] };
  'session.draining': { reconnectInMs: number };
  'session.replaced': { by: string };
  'session.closed': { reason: string };
  'floor.taken': { userId: string; connectionId: string; talkId: string; expiresAt: number };
  'floor.released': { userId: string; reason: string; talkId?: string };
  /** `data`: Uint8Array on MessagePack connections, base64 on JSON ones (PushToTalk.onAudio gives bytes either way). */
  'ptt.audio': { talkId: string; userId: string; seq: number; data: Uint8Array | string };
  'ptt.ended': { talkId: string; userId: string; reason: string; frames: number; bytes: number; durationMs: number };
  /** Also emitted by the SDK after a reconnect for a watched user whose presence changed during the gap (see `presenceResubscribed`). */
  'presence.changed': { userId: string; status: string; lastSeen: number; text?: string; devices: string[] };
}

/** One coalesced batch of the live room registry (`rooms.subscribe`). */
export interface RoomsChanged {
  /** Rooms created or whose settings or participant count changed since the last batch (latest state). */
  updated: RoomView[];
  /** Ids of rooms closed since the last batch. */
  closed: string[];
}

/** The SDK's own lifecycle events (names without a dot, so they never clash with server events). */
export interface LifecycleEvents {
  /** A connection is open and said hello (first connect and every reconnect). */
  connected: [hello: HelloData];
  /** The socket closed; the SDK reconnects unless `willReconnect` is false. */
  disconnected: [info: { code: number; reason: string; willReconnect: boolean }];
  /** The next connection attempt starts after `delayMs`. */
  reconnecting: [info: { attempt: number; delayMs: number }];
  /** `session.resume` succeeded: `replayed` missed events were delivered before this. */
  resumed: [info: { replayed: number; rooms: string[] }];
  /**
   * A room could not be resumed (events expired, over the replay budget, seat gone): the SDK
   * rejoined it and refetched recent history by itself; render from this, not from the gap.
   */
  resync: [info: { roomId: string; snapshot?: RoomSnapshot; messages: ChatMessage[]; error?: Error }];
  /**
   * A `rooms.subscribe` watch was re-sent on a new connection (a watch belongs to one
   * connection): replace the room list with this snapshot, which covers the gap; `error` when
   * the new connection refused it (then no `rooms.changed` arrive until the next reconnect).
   */
  resubscribed: [info: { rooms: RoomView[]; truncated: boolean; error?: Error }];
  /**
   * The `presence.subscribe` watch was re-sent on a new connection (a watch belongs to one
   * connection): `presence` is the fresh snapshot of every watched user. Users whose status,
   * text or devices changed during the gap were emitted as `presence.changed` just before this.
   * `error` when the new connection refused (part of) it; the next reconnect tries again.
   */
  presenceResubscribed: [info: { presence: Record<string, { status: string; lastSeen: number; text?: string; devices: string[] }>; error?: Error }];
  /** The same device connected elsewhere under a single-session policy: the SDK stopped. */
  replaced: [info: { by: string }];
  /**
   * An administrator disconnected this connection (`session.closed`, close 4003): the SDK
   * stopped and does not reconnect. `reason` is the administrator's ('' when only the close came).
   */
  disconnectedByAdmin: [info: { reason: string }];
  /** A fresh token from getToken() is in use (refreshed on the live connection or for a reconnect). */
  token: [info: { expiresAt: number | null }];
  /** The client stopped for good (close(), replaced, disconnected by an administrator, blocked version, unusable credentials). */
  closed: [info: { code: number; reason: string }];
}
