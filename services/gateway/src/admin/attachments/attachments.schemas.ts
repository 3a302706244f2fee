import { Id } from '@switchboard/protocol';
import { z } from 'zod';

export const AttachmentParams = z.object({ roomId: Id, attachmentId: Id });

export const ListAttachmentsQuery = z.object({
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export const StorageUsageSchema = z.object({
  bytes: z.number().int().describe('declared bytes of the live attachments, pending uploads included'),
  objects: z.number().int(),
});

export const AttachmentSchema = z.object({
  id: z.string(),
  roomId: z.string(),
  userId: z.string().describe('who uploaded it'),
  name: z.string(),
  contentType: z.string(),
  size: z.number().int(),
  messageId: z.string().nullable().describe('null while the upload waits for its chat.send'),
  createdAt: z.number().int().describe('milliseconds since the Unix epoch'),
});

export const AttachmentPage = z.object({ attachments: z.array(AttachmentSchema), nextCursor: z.string().nullable(), usage: StorageUsageSchema });
export const AttachmentDeleted = z.object({ deleted: z.literal(true) });
