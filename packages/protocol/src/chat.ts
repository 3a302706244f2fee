import { z } from 'zod';
import { Id, LIMITS, maxJsonBytes, Text } from './common.js';
import { Empty, MessageViewSchema } from './views.js';

/** A link to a file stored elsewhere (the client's own storage). */
const LinkAttachment = z.object({
  url: Text(0, 2000),
  name: Text(0, 300).optional(),
  mime: Text(0, 200).optional(),
  size: z.number().int().min(0).optional(),
});

/** A file uploaded through `chat.upload`: checked to exist in object storage with its declared size. */
const StoredAttachment = z.strictObject({ attachmentId: Id });

const Attachment = z.union([StoredAttachment, LinkAttachment]);
/** A presigned object-storage request: send it exactly as given (the headers are signed), before `expiresAt` (epoch ms). */
export const PresignedRequest = (method: 'PUT' | 'GET') => z.strictObject({ method: z.literal(method), url: z.string(), headers: z.record(z.string(), z.string()), expiresAt: z.number().int() });

/** MIME type as `type/subtype` (parameters are not part of it). */
const ContentType = z
  .string()
  .max(127)
  .regex(/^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/, 'must be a lowercase type/subtype');

/**
 * The channel a chat verb is about (ADR 0050). Absent: the room's default channel for verbs that
 * write or read a stream (send, history, typing); for verbs naming a message, the message's own
 * channel (when given, it must be the message's: `not_found` otherwise).
 */
const ChannelRef = Id.optional();

export const chat = {
  'chat.send': {
    service: 'rooms', reply: z.strictObject({ message: MessageViewSchema }),
    doc: 'Sends a message; re-sending the same clientMsgId returns the same message.',
    schema: z
      .object({
        roomId: Id,
        channelId: ChannelRef,
        text: Text(1, 8000),
        clientMsgId: Text(1, 64),
        replyTo: Id.optional(),
        attachments: z.array(Attachment).max(10).optional(),
      })
      .refine((m) => maxJsonBytes(LIMITS.chatMessageBytes)[0]({ text: m.text, attachments: m.attachments }), {
        message: `text and attachments must be at most ${LIMITS.chatMessageBytes} bytes as JSON`,
        path: ['text'],
      }),
  },
  'chat.upload': {
    service: 'rooms', reply: z.strictObject({ attachmentId: Id, upload: PresignedRequest('PUT') }),
    doc: 'Reserves an upload of one file (members only; size, type and per-user quota checked): answers `{ attachmentId, upload: { method, url, headers, expiresAt } }`, a presigned PUT for exactly `size` bytes. Reference it in `chat.send` as `attachments: [{ attachmentId }]`; an upload never sent is deleted.',
    schema: z.object({ roomId: Id, name: Text(1, 255), size: z.number().int().min(1), contentType: ContentType }),
  },
  'chat.download': {
    service: 'rooms', reply: z.strictObject({ download: PresignedRequest('GET') }),
    doc: 'A short-lived presigned GET URL for an attachment of a message in the room (members only): `{ download: { method, url, headers, expiresAt } }`.',
    schema: z.object({ roomId: Id, attachmentId: Id }),
  },
  'chat.edit': {
    service: 'rooms', reply: z.strictObject({ message: MessageViewSchema }),
    doc: 'Edits own message.',
    schema: z.object({ roomId: Id, channelId: ChannelRef, messageId: Id, text: Text(1, 8000).refine(...maxJsonBytes(LIMITS.chatMessageBytes)) }),
  },
  'chat.delete': { service: 'rooms', reply: Empty, doc: 'Deletes a message (author or moderator).', schema: z.object({ roomId: Id, channelId: ChannelRef, messageId: Id }) },
  'chat.react': {
    service: 'rooms', reply: Empty,
    doc: 'Adds or removes a reaction: any emoji text, or `:name:` of one of the room\'s custom emoji (`not_found` for an unknown name). A message carries a bounded number of distinct emoji (`too_large` for one more; existing ones can always be added to).',
    schema: z.object({ roomId: Id, channelId: ChannelRef, messageId: Id, emoji: Text(1, 34), on: z.boolean() }),
  },
  'chat.pin': { service: 'rooms', reply: Empty, doc: 'Pins or unpins (moderators).', schema: z.object({ roomId: Id, channelId: ChannelRef, messageId: Id, pinned: z.boolean() }) },
  'chat.history': {
    service: 'rooms',
    reply: z.strictObject({
      messages: z.array(MessageViewSchema),
      hasMore: z.boolean(),
      /** The reader's own read receipt in this channel (`chat.read`), when there is one. */
      lastReadId: z.string().optional(),
    }),
    doc: 'Pages one channel\'s message history (the default channel without `channelId`) backwards (`before`) or forwards (`after`).',
    schema: z.object({ roomId: Id, channelId: ChannelRef, before: Id.optional(), after: Id.optional(), limit: z.number().int().min(1).max(100).optional() }),
  },
  'chat.read': { service: 'rooms', reply: Empty, doc: 'Records a read receipt in the message\'s channel (one per user and channel).', schema: z.object({ roomId: Id, channelId: ChannelRef, messageId: Id }) },
  'chat.typing': { service: 'rooms', reply: Empty, doc: 'Typing indicator in a channel (the default without `channelId`); expires after 5 s.', schema: z.object({ roomId: Id, channelId: ChannelRef, typing: z.boolean() }) },
} as const;
