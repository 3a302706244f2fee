import { z } from 'zod';
import { ChannelName, EmojiName, Id, LIMITS } from './common.js';
import { PresignedRequest } from './chat.js';
import { ChannelViewSchema, Empty, EmojiViewSchema } from './views.js';

const ChannelReply = z.strictObject({ channel: ChannelViewSchema });

/** Channels of a room (ADR 0050): text threads sharing the room's membership and roles. */
export const channels = {
  'channel.create': {
    service: 'rooms', reply: ChannelReply,
    doc: 'Creates a named channel at the end of the order (owner/moderator). Names are unique in the room; a room has a bounded number of channels (`forbidden` beyond it).',
    schema: z.object({ roomId: Id, name: ChannelName }),
  },
  'channel.rename': {
    service: 'rooms', reply: ChannelReply,
    doc: 'Renames a channel (owner/moderator); `conflict` when another channel has the name.',
    schema: z.object({ roomId: Id, channelId: Id, name: ChannelName }),
  },
  'channel.archive': {
    service: 'rooms', reply: ChannelReply,
    doc: 'Archives (or with `archived: false` restores) a channel (owner/moderator). An archived channel keeps its history but refuses sends, edits, reactions and typing (`conflict`).',
    schema: z.object({ roomId: Id, channelId: Id, archived: z.boolean() }),
  },
  'channel.reorder': {
    service: 'rooms', reply: z.strictObject({ channels: z.array(ChannelViewSchema) }),
    doc: 'Sets the order of the room\'s channels (owner/moderator): `channelIds` lists every channel of the room exactly once (`bad_request` otherwise).',
    schema: z.object({ roomId: Id, channelIds: z.array(Id).min(1).max(LIMITS.channelsPerRoom) }),
  },
} as const;

/** The image types a custom emoji may have. */
export const EMOJI_CONTENT_TYPES = ['image/png', 'image/gif', 'image/webp'] as const;

/** Custom emoji of a room (ADR 0051): images uploaded like attachments, used as `:name:`. */
export const emoji = {
  'emoji.upload': {
    service: 'rooms', reply: z.strictObject({ attachmentId: Id, upload: PresignedRequest('PUT') }),
    doc: 'Reserves the image of a custom emoji (owner/moderator): PNG, GIF or WebP up to the server\'s emoji size (`too_large`), counted in the uploader\'s attachment quota. Answers like `chat.upload`; PUT the bytes, then `emoji.create`.',
    schema: z.object({ roomId: Id, name: EmojiName, size: z.number().int().min(1), contentType: z.enum(EMOJI_CONTENT_TYPES) }),
  },
  'emoji.create': {
    service: 'rooms', reply: z.strictObject({ emoji: EmojiViewSchema }),
    doc: 'Claims an uploaded image as the room\'s `:name:` (owner/moderator): the upload must be the caller\'s, unsent, an emoji type and size, and stored. `conflict` when the name is taken; `forbidden` when the room has its most emoji.',
    schema: z.object({ roomId: Id, name: EmojiName, attachmentId: Id }),
  },
  'emoji.delete': {
    service: 'rooms', reply: Empty,
    doc: 'Deletes a custom emoji and its image (owner/moderator). Reactions already made with it stay as text.',
    schema: z.object({ roomId: Id, name: EmojiName }),
  },
} as const;
