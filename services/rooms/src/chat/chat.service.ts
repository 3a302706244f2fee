import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, DueStore, Every, fitToBudget, newId, parseTypingMember, RoomEventsPublisher, TYPING_DUE, typingMember, type Caller } from '@switchboard/platform';
import { badRequest, conflict, forbidden, notFound, tooLarge, type CommandData, type Reply } from '@switchboard/protocol';
import type { RoomsConfig } from '../config.js';
import { RoomsService } from '../rooms/rooms.service.js';
import { AttachmentsService } from '../attachments/attachments.service.js';
import { ChannelsService } from '../channels/channels.service.js';
import { channelField } from '../channels/channels.view.js';
import { EmojiService } from '../emoji/emoji.service.js';
import { ChatStore, ClaimLost, type MessageRow } from './chat.store.js';
import { plainMessageView, toMessageView, type MessageView } from './chat.view.js';

type Ok = Record<string, never>;

@Injectable()
export class ChatService {
  constructor(
    private readonly rooms: RoomsService,
    private readonly store: ChatStore,
    private readonly attachments: AttachmentsService,
    private readonly channels: ChannelsService,
    private readonly emoji: EmojiService,
    private readonly due: DueStore,
    private readonly events: RoomEventsPublisher,
    @Inject(CONFIG) private readonly config: RoomsConfig,
  ) {}

  async send(caller: Caller, data: CommandData<'chat.send'>): Promise<{ message: MessageView }> {
    // The common message (default channel, no reply, no attachments): membership, insert and
    // idempotency in one statement (ADR 0063). Anything it does not store takes the general path,
    // which answers a retry with the stored message and a non-member with the precise refusal.
    if (data.channelId === undefined && !data.replyTo && !data.attachments?.length) {
      const plain = { id: newId('m'), roomId: data.roomId, userId: caller.userId, clientMsgId: data.clientMsgId, text: data.text };
      const createdAt = await this.store.insertIfMember(plain);
      // Its view from the send and the stored time: no row read back (ADR 0079).
      if (createdAt !== null) return this.announce(plainMessageView(plain, createdAt));
    }
    await this.rooms.requireMember(data.roomId, caller.userId);
    // A retry of a stored message must not re-check uploads it already took over (nor the channel, archived since).
    const retried = await this.store.byClientMsgId(data.roomId, caller.userId, data.clientMsgId);
    if (retried) return { message: toMessageView(retried) };
    const channelId = await this.channels.resolve(data.roomId, data.channelId, { writable: true });
    if (data.replyTo && (await this.store.get(data.roomId, data.replyTo))?.channelId !== channelId) throw notFound('replyTo: no such message in this channel');
    const { attachments, claim } = await this.attachments.resolveForSend(caller, data.roomId, data.attachments ?? []);
    let stored: { message: MessageRow; created: boolean };
    try {
      stored = await this.store.createOnce({
        id: newId('m'),
        roomId: data.roomId,
        channelId,
        userId: caller.userId,
        clientMsgId: data.clientMsgId,
        text: data.text,
        replyTo: data.replyTo,
        attachments,
        claim,
      });
    } catch (err) {
      if (err instanceof ClaimLost) throw conflict(err.message);
      throw err;
    }
    const { message, created } = stored;
    // A retried send (same clientMsgId) answers with the stored message and announces nothing.
    if (!created) return { message: toMessageView(message) };
    this.attachments.sent(claim.length);
    return this.announce(toMessageView(message));
  }

  /** A newly stored message goes to the room (acked by its stream before the sender hears back: ADR 0048). */
  private async announce(view: MessageView): Promise<{ message: MessageView }> {
    await this.events.toRoomCoalesced(view.roomId, 'chat.message', { message: view });
    return { message: view };
  }

  async edit(caller: Caller, data: CommandData<'chat.edit'>): Promise<{ message: MessageView }> {
    await this.rooms.requireMember(data.roomId, caller.userId);
    const msg = await this.liveMessage(data.roomId, data.messageId, data.channelId);
    if (msg.userId !== caller.userId) throw forbidden('only the author may edit a message');
    await this.channels.requireWritable(data.roomId, msg.channelId);
    const view = toMessageView(await this.store.edit(msg.id, data.text));
    await this.events.toRoom(data.roomId, 'chat.edited', { message: view });
    return { message: view };
  }

  async delete(caller: Caller, data: CommandData<'chat.delete'>): Promise<Ok> {
    const { member } = await this.rooms.requireMember(data.roomId, caller.userId);
    const msg = await this.message(data.roomId, data.messageId, data.channelId);
    if (msg.userId !== caller.userId && member.role === 'member') throw forbidden('only the author or a moderator may delete a message');
    if (await this.store.softDelete(msg.id)) {
      await this.events.toRoom(data.roomId, 'chat.deleted', { messageId: msg.id, ...channelField(msg.channelId) });
      await this.attachments.removeForMessage(msg.id);
    }
    return {};
  }

  /** Marks a message deleted without checks (voice retention); false when it already was. */
  softDelete(messageId: string): Promise<boolean> {
    return this.store.softDelete(messageId);
  }

  async react(caller: Caller, data: CommandData<'chat.react'>): Promise<Ok> {
    await this.rooms.requireMember(data.roomId, caller.userId);
    const msg = await this.liveMessage(data.roomId, data.messageId, data.channelId);
    // Removing is always allowed (also an emoji deleted since, also in an archived channel).
    if (data.on) await Promise.all([this.channels.requireWritable(data.roomId, msg.channelId), this.emoji.requireKnown(data.roomId, data.emoji)]);
    const result = await this.store.react(data.messageId, caller.userId, data.emoji, data.on, this.config.REACTIONS_MAX_DISTINCT);
    if (result === 'full') throw tooLarge(`a message may carry at most ${this.config.REACTIONS_MAX_DISTINCT} distinct reactions`);
    if (result === 'changed') {
      await this.events.toRoom(data.roomId, 'chat.reaction', { messageId: data.messageId, emoji: data.emoji, userId: caller.userId, on: data.on, ...channelField(msg.channelId) });
    }
    return {};
  }

  async pin(caller: Caller, data: CommandData<'chat.pin'>): Promise<Ok> {
    await this.rooms.requireRole(data.roomId, caller.userId, ['owner', 'moderator']);
    const msg = await this.liveMessage(data.roomId, data.messageId, data.channelId);
    if (await this.store.pin(data.messageId, data.pinned, caller.userId)) {
      await this.events.toRoom(data.roomId, 'chat.pinned', { messageId: data.messageId, pinned: data.pinned, ...channelField(msg.channelId) });
    }
    return {};
  }

  async history(caller: Caller, data: CommandData<'chat.history'>): Promise<Reply<'chat.history'>> {
    await this.rooms.requireMember(data.roomId, caller.userId);
    if (data.before && data.after) throw badRequest('use either before or after, not both');
    const channelId = await this.channels.resolve(data.roomId, data.channelId, { writable: false });
    const limit = data.limit ?? 50;
    const cursorId = data.before ?? data.after;
    const cursor = cursorId ? await this.message(data.roomId, cursorId, channelId) : undefined;
    const older = !data.after;
    const [rows, lastReadId] = await Promise.all([this.store.page(data.roomId, channelId, { cursor, older, take: limit + 1 }), this.store.lastRead(data.roomId, channelId, caller.userId)]);
    // At most `limit` messages and the reply budget in bytes, counted from the cursor's side.
    const views = rows.slice(0, limit).map((row) => toMessageView(row, caller.userId));
    const page = views.slice(0, fitToBudget(views, this.config.REPLY_MAX_BYTES));
    // Pages are always returned oldest first, whichever way they were read.
    if (older) page.reverse();
    return { messages: page, hasMore: rows.length > page.length, ...(lastReadId ? { lastReadId } : {}) };
  }

  async read(caller: Caller, data: CommandData<'chat.read'>): Promise<Ok> {
    await this.rooms.requireMember(data.roomId, caller.userId);
    const msg = await this.message(data.roomId, data.messageId, data.channelId);
    await this.store.markRead(data.roomId, msg.channelId, caller.userId, data.messageId);
    await this.events.toRoom(data.roomId, 'chat.read', { userId: caller.userId, messageId: data.messageId, ...channelField(msg.channelId) });
    return {};
  }

  /** Ephemeral: no seq, nothing stored but a lapse timer, so a silent client stops "typing". */
  async typing(caller: Caller, data: CommandData<'chat.typing'>): Promise<Ok> {
    await this.rooms.requireSeat(data.roomId, caller);
    // Stopping is always allowed, so an indicator never sticks in a channel archived meanwhile.
    const channelId = await this.channels.resolve(data.roomId, data.channelId, { writable: data.typing });
    const member = typingMember(data.roomId, caller.userId, channelId);
    if (data.typing) await this.due.schedule(TYPING_DUE, member, Date.now() + this.config.TYPING_TTL_MS);
    else await this.due.cancel(TYPING_DUE, member);
    this.publishTyping(data.roomId, caller.userId, data.typing, channelId);
    return {};
  }

  @Every('typing')
  private async expireTyping(): Promise<void> {
    await this.due.sweep(TYPING_DUE, async (member) => {
      const { roomId, userId, channelId } = parseTypingMember(member);
      this.publishTyping(roomId, userId, false, channelId);
    });
  }

  private publishTyping(roomId: string, userId: string, typing: boolean, channelId: string): void {
    // Never kept for resume: an indicator lapses within seconds anyway.
    this.events.live(roomId, 'chat.typing', { userId, typing, ...channelField(channelId) });
  }

  /**
   * A message of the room; with `channelId` (a verb's optional field, or a stream's key) it must
   * be in that channel. Without it, any channel: a message id names its channel.
   */
  private async message(roomId: string, id: string, channelId?: string): Promise<MessageRow> {
    const msg = await this.store.get(roomId, id);
    if (!msg) throw notFound('message not found');
    if (channelId !== undefined && msg.channelId !== channelId) throw notFound('message not found in this channel');
    return msg;
  }

  private async liveMessage(roomId: string, id: string, channelId?: string): Promise<MessageRow> {
    const msg = await this.message(roomId, id, channelId);
    if (msg.deletedAt) throw notFound('message was deleted');
    return msg;
  }
}
