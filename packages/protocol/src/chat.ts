import { z } from 'zod';
import { Id, LIMITS, maxJsonBytes, Text } from './common.js';
import { Empty, MessageViewSchema } from './views.js';

const Attachment = z.object({
  url: Text(0, 2000),
  name: Text(0, 300).optional(),
  mime: Text(0, 200).optional(),
  size: z.number().int().min(0).optional(),
});

export const chat = {
  'chat.send': {
    service: 'rooms', reply: z.strictObject({ message: MessageViewSchema }),
    doc: 'Sends a message; re-sending the same clientMsgId returns the same message.',
    schema: z
      .object({
        roomId: Id,
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
  'chat.edit': {
    service: 'rooms', reply: z.strictObject({ message: MessageViewSchema }),
    doc: 'Edits own message.',
    schema: z.object({ roomId: Id, messageId: Id, text: Text(1, 8000).refine(...maxJsonBytes(LIMITS.chatMessageBytes)) }),
  },
  'chat.delete': { service: 'rooms', reply: Empty, doc: 'Deletes a message (author or moderator).', schema: z.object({ roomId: Id, messageId: Id }) },
  'chat.react': {
    service: 'rooms', reply: Empty,
    doc: 'Adds or removes a reaction.',
    schema: z.object({ roomId: Id, messageId: Id, emoji: Text(1, 32), on: z.boolean() }),
  },
  'chat.pin': { service: 'rooms', reply: Empty, doc: 'Pins or unpins (moderators).', schema: z.object({ roomId: Id, messageId: Id, pinned: z.boolean() }) },
  'chat.history': {
    service: 'rooms', reply: z.strictObject({ messages: z.array(MessageViewSchema), hasMore: z.boolean() }),
    doc: 'Pages message history backwards (`before`) or forwards (`after`).',
    schema: z.object({ roomId: Id, before: Id.optional(), after: Id.optional(), limit: z.number().int().min(1).max(100).optional() }),
  },
  'chat.read': { service: 'rooms', reply: Empty, doc: 'Records a read receipt.', schema: z.object({ roomId: Id, messageId: Id }) },
  'chat.typing': { service: 'rooms', reply: Empty, doc: 'Typing indicator; expires after 5 s.', schema: z.object({ roomId: Id, typing: z.boolean() }) },
} as const;
