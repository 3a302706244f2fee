import { EmojiName, Id } from '@switchboard/protocol';
import { z } from 'zod';

export const EmojiParams = z.object({ roomId: Id, name: EmojiName });

export const AdminEmojiSchema = z.object({
  name: z.string().describe('used as `:name:` in reactions and text'),
  attachmentId: z.string().describe('the image (an attachment of the room; its bytes count in the room storage)'),
  contentType: z.string(),
  size: z.number().int(),
  createdBy: z.string(),
  createdAt: z.number().int().describe('milliseconds since the Unix epoch'),
});

export const EmojiList = z.object({ emoji: z.array(AdminEmojiSchema) });
export const EmojiDeleted = z.object({ deleted: z.literal(true) });
