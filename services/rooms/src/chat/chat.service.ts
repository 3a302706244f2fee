import { Inject, Injectable } from '@nestjs/common';
import { Every, CONFIG, DueStore, fitToBudget, newId, RoomEventsPublisher, type Caller } from '@switchboard/platform';
import { badRequest, conflict, forbidden, notFound, type CommandData } from '@switchboard/protocol';
import type { RoomsConfig } from '../config.js';
import { RoomsService } from '../rooms/rooms.service.js';
import { AttachmentsService } from '../attachments/attachments.service.js';
import { ChatStore, ClaimLost, type MessageRow } from './chat.store.js';
import { toMessageView, type MessageView } from './chat.view.js';

/** Sorted set of `roomId:userId` typing indicators, score = when they lapse. */
export const TYPING_DUE = 'sb:rooms:typing_due';

type Ok = Record<string, never>;

@Injectable()
export class ChatService {
  constructor(
    private readonly rooms: RoomsService,
    private readonly store: ChatStore,
    private readonly attachments: AttachmentsService,
    private readonly due: DueStore,
    private readonly events: RoomEventsPublisher,
    @Inject(CONFIG) private readonly config: RoomsConfig,
  ) {}

  async send(caller: Caller, data: CommandData<'chat.send'>): Promise<{ message: MessageView }> {
    await this.rooms.requireMember(data.roomId, caller.userId);
    if (data.replyTo && !(await this.store.get(data.roomId, data.replyTo))) throw notFound('replyTo: no such message in this room');
    // A retry of a stored message must not re-check uploads it already took over.
    const retried = await this.store.byClientMsgId(data.roomId, caller.userId, data.clientMsgId);
    if (retried) return { message: toMessageView(retried) };
    const { attachments, claim } = await this.attachments.resolveForSend(caller, data.roomId, data.attachments ?? []);
    let stored: { message: MessageRow; created: boolean };
    try {
      stored = await this.store.createOnce({ id: newId('m'), roomId: data.roomId, userId: caller.userId, clientMsgId: data.clientMsgId, text: data.text, replyTo: data.replyTo, attachments, claim });
    } catch (err) {
      if (err instanceof ClaimLost) throw conflict(err.message);
      throw err;
    }
    const { message, created } = stored;
    const view = toMessageView(message);
    // A retried send (same clientMsgId) answers with the stored message and announces nothing.
    if (created) {
      this.attachments.sent(claim.length);
      await this.events.toRoom(data.roomId, 'chat.message', { message: view });
    }
    return { message: view };
  }

  async edit(caller: Caller, data: CommandData<'chat.edit'>): Promise<{ message: MessageView }> {
    await this.rooms.requireMember(data.roomId, caller.userId);
    const msg = await this.liveMessage(data.roomId, data.messageId);
    if (msg.userId !== caller.userId) throw forbidden('only the author may edit a message');
    const view = toMessageView(await this.store.edit(msg.id, data.text));
    await this.events.toRoom(data.roomId, 'chat.edited', { message: view });
    return { message: view };
  }

  async delete(caller: Caller, data: CommandData<'chat.delete'>): Promise<Ok> {
    const { member } = await this.rooms.requireMember(data.roomId, caller.userId);
    const msg = await this.message(data.roomId, data.messageId);
    if (msg.userId !== caller.userId && member.role === 'member') throw forbidden('only the author or a moderator may delete a message');
    if (await this.store.softDelete(msg.id)) {
      await this.events.toRoom(data.roomId, 'chat.deleted', { messageId: msg.id });
      await this.attachments.removeForMessage(msg.id);
    }
    return {};
  }

  async react(caller: Caller, data: CommandData<'chat.react'>): Promise<Ok> {
    await this.rooms.requireMember(data.roomId, caller.userId);
    await this.liveMessage(data.roomId, data.messageId);
    if (await this.store.react(data.messageId, caller.userId, data.emoji, data.on)) {
      await this.events.toRoom(data.roomId, 'chat.reaction', { messageId: data.messageId, emoji: data.emoji, userId: caller.userId, on: data.on });
    }
    return {};
  }

  async pin(caller: Caller, data: CommandData<'chat.pin'>): Promise<Ok> {
    await this.rooms.requireRole(data.roomId, caller.userId, ['owner', 'moderator']);
    await this.liveMessage(data.roomId, data.messageId);
    if (await this.store.pin(data.messageId, data.pinned, caller.userId)) await this.events.toRoom(data.roomId, 'chat.pinned', { messageId: data.messageId, pinned: data.pinned });
    return {};
  }

  async history(caller: Caller, data: CommandData<'chat.history'>): Promise<{ messages: MessageView[]; hasMore: boolean }> {
    await this.rooms.requireMember(data.roomId, caller.userId);
    if (data.before && data.after) throw badRequest('use either before or after, not both');
    const limit = data.limit ?? 50;
    const cursorId = data.before ?? data.after;
    const cursor = cursorId ? await this.message(data.roomId, cursorId) : undefined;
    const older = !data.after;
    const rows = await this.store.page(data.roomId, { cursor, older, take: limit + 1 });
    // At most `limit` messages and the reply budget in bytes, counted from the cursor's side.
    const views = rows.slice(0, limit).map((row) => toMessageView(row, caller.userId));
    const page = views.slice(0, fitToBudget(views, this.config.REPLY_MAX_BYTES));
    // Pages are always returned oldest first, whichever way they were read.
    if (older) page.reverse();
    return { messages: page, hasMore: rows.length > page.length };
  }

  async read(caller: Caller, data: CommandData<'chat.read'>): Promise<Ok> {
    await this.rooms.requireMember(data.roomId, caller.userId);
    await this.message(data.roomId, data.messageId);
    await this.store.markRead(data.roomId, caller.userId, data.messageId);
    await this.events.toRoom(data.roomId, 'chat.read', { userId: caller.userId, messageId: data.messageId });
    return {};
  }

  /** Ephemeral: no seq, nothing stored but a lapse timer, so a silent client stops "typing". */
  async typing(caller: Caller, data: CommandData<'chat.typing'>): Promise<Ok> {
    await this.rooms.requireSeat(data.roomId, caller);
    const member = `${data.roomId}:${caller.userId}`;
    if (data.typing) await this.due.schedule(TYPING_DUE, member, Date.now() + this.config.TYPING_TTL_MS);
    else await this.due.cancel(TYPING_DUE, member);
    this.publishTyping(data.roomId, caller.userId, data.typing);
    return {};
  }

  @Every('typing')
  private async expireTyping(): Promise<void> {
    await this.due.sweep(TYPING_DUE, async (member) => {
      const [roomId, userId] = member.split(':');
      this.publishTyping(roomId, userId, false);
    });
  }

  private publishTyping(roomId: string, userId: string, typing: boolean): void {
    // Never kept for resume: an indicator lapses within seconds anyway.
    this.events.live(roomId, 'chat.typing', { userId, typing });
  }

  private async message(roomId: string, id: string): Promise<MessageRow> {
    const msg = await this.store.get(roomId, id);
    if (!msg) throw notFound('message not found');
    return msg;
  }

  private async liveMessage(roomId: string, id: string): Promise<MessageRow> {
    const msg = await this.message(roomId, id);
    if (msg.deletedAt) throw notFound('message was deleted');
    return msg;
  }
}
