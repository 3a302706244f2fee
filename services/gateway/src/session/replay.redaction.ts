import { eventData, type DeliveredEvent } from '../connections/connection.js';

interface MessageLike {
  id?: unknown;
  text?: unknown;
  attachments?: unknown;
  editedAt?: unknown;
  deleted?: unknown;
}

/**
 * Replay must not show what `chat.history` no longer shows: a `chat.message` (or an earlier
 * `chat.edited`) whose message a later event in the same replay edited or deleted is rewritten
 * to the message's final state, as `chat.history` would return it (deleted: empty text and
 * attachments, `deleted: true`; edited: the last text, attachments and `editedAt`). The edit and
 * delete events themselves stay, so the client's state machine sees the same sequence.
 * Events are changed in place (they are this replay's own copies).
 */
export function redactSuperseded(events: DeliveredEvent[]): void {
  // Last word per message id: the index of the last edit or delete, and the state it left.
  const last = new Map<string, { at: number; deleted: boolean; message?: MessageLike }>();
  events.forEach((e, at) => {
    if (e.type === 'chat.deleted') {
      const id = eventData(e).messageId;
      if (typeof id === 'string') last.set(id, { at, deleted: true });
    } else if (e.type === 'chat.edited') {
      const message = eventData(e).message as MessageLike | undefined;
      if (typeof message?.id === 'string') last.set(message.id, { at, deleted: false, message });
    }
  });
  if (!last.size) return;
  events.forEach((e, at) => {
    if (e.type !== 'chat.message' && e.type !== 'chat.edited') return;
    const data = eventData(e);
    const message = data.message as MessageLike | undefined;
    const final = typeof message?.id === 'string' ? last.get(message.id) : undefined;
    if (!message || !final || final.at <= at) return;
    const redacted = final.deleted
      ? { ...message, text: '', attachments: [], deleted: true }
      : { ...message, text: final.message?.text, attachments: final.message?.attachments ?? [], ...(final.message?.editedAt !== undefined ? { editedAt: final.message.editedAt } : {}) };
    e.parsed = { ...data, message: redacted };
    e.dataJson = JSON.stringify(e.parsed);
    // Everything built from the old body goes with it.
    e.frame = e.packed = e.wire = undefined;
  });
}
