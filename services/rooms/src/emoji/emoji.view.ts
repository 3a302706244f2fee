import type { EmojiView } from '@switchboard/protocol';
import type { EmojiRow } from './emoji.store.js';

export function toEmojiView(e: EmojiRow): EmojiView {
  return { name: e.name, attachmentId: e.attachmentId, contentType: e.attachment.contentType, size: e.attachment.size, createdBy: e.createdBy, createdAt: e.createdAt.getTime() };
}
