import type { MessageRow } from './chat.store.js';

export interface MessageView {
  id: string;
  roomId: string;
  userId: string;
  text: string;
  clientMsgId: string;
  replyTo?: string;
  attachments: unknown[];
  createdAt: number;
  editedAt?: number;
  deleted: boolean;
  reactions: Record<string, number>;
  pinned: boolean;
}

/** The protocol's chat message object; deleted messages keep their place but lose content. */
export function toMessageView(m: MessageRow): MessageView {
  const reactions: Record<string, number> = {};
  for (const r of m.reactions) reactions[r.emoji] = (reactions[r.emoji] ?? 0) + 1;
  return {
    id: m.id,
    roomId: m.roomId,
    userId: m.userId,
    text: m.deletedAt ? '' : m.text,
    clientMsgId: m.clientMsgId,
    ...(m.replyTo ? { replyTo: m.replyTo } : {}),
    attachments: m.deletedAt ? [] : ((m.attachments ?? []) as unknown[]),
    createdAt: m.createdAt.getTime(),
    ...(m.editedAt ? { editedAt: m.editedAt.getTime() } : {}),
    deleted: m.deletedAt !== null,
    reactions,
    pinned: m.pinnedAt !== null,
  };
}
