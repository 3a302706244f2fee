import type { MessageView } from '@switchboard/protocol';
import { channelField } from '../channels/channels.view.js';
import type { MessageRow, PlainMessage } from './chat.store.js';

/** The protocol's chat message (`MessageViewSchema` in @switchboard/protocol). */
export type { MessageView };

/** Ids listed per emoji in `reactedBy`: enough for "you, Ann and 3 others", bounded per message. */
export const REACTED_BY_MAX = 20;

/** The protocol's chat message object; deleted messages keep their place but lose content. */
export function toMessageView(m: MessageRow, reader?: string): MessageView {
  const reactions: Record<string, number> = {};
  const reactedBy: Record<string, string[]> = {};
  const mine: string[] = [];
  for (const r of [...m.reactions].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())) {
    reactions[r.emoji] = (reactions[r.emoji] ?? 0) + 1;
    const who = (reactedBy[r.emoji] ??= []);
    if (who.length < REACTED_BY_MAX) who.push(r.userId);
    if (r.userId === reader) mine.push(r.emoji);
  }
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
    reactedBy,
    ...(reader !== undefined ? { myReactions: mine } : {}),
    pinned: m.pinnedAt !== null,
    // A deleted voice message keeps its kind but loses its recording, like attachments.
    ...(m.kind === 'voice' ? { kind: 'voice' as const, ...(m.deletedAt || !m.voice ? {} : { voice: m.voice as unknown as NonNullable<MessageView['voice']> }) } : {}),
    ...channelField(m.channelId),
  };
}

/**
 * The view of a plain message just stored by chat.send's hot insert (ADR 0079): exactly
 * `toMessageView` of its stored row (chat.store.spec.ts checks it), built from the send and the
 * stored time without the row: default channel, no reply, attachments or reactions, not edited.
 */
export function plainMessageView(m: PlainMessage, createdAt: number): MessageView {
  return { id: m.id, roomId: m.roomId, userId: m.userId, text: m.text, clientMsgId: m.clientMsgId, attachments: [], createdAt, deleted: false, reactions: {}, reactedBy: {}, pinned: false };
}
