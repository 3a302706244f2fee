import { Injectable } from '@nestjs/common';
import { isUniqueViolation, PrismaClient } from '../db/prisma.provider.js';
import type { Message, Reaction } from '../generated/prisma/client.js';

export type MessageRow = Message & { reactions: Reaction[] };

export interface NewMessage {
  id: string;
  roomId: string;
  userId: string;
  clientMsgId: string;
  text: string;
  replyTo?: string;
  attachments: unknown[];
}

const withReactions = { reactions: true } as const;

/** Messages, reactions, pins and read receipts in Postgres. */
@Injectable()
export class ChatStore {
  constructor(private readonly prisma: PrismaClient) {}

  /**
   * Inserts the message unless (room, user, clientMsgId) exists; either way returns the stored
   * one. The unique index decides races between replicas.
   */
  async createOnce(msg: NewMessage): Promise<{ message: MessageRow; created: boolean }> {
    // Insert first: a new message is the common case (one statement), a retry the rare one.
    try {
      const created = await this.prisma.message.create({ data: { ...msg, attachments: msg.attachments as object[] } });
      return { message: { ...created, reactions: [] }, created: true };
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      const key = { roomId: msg.roomId, userId: msg.userId, clientMsgId: msg.clientMsgId };
      return { message: await this.prisma.message.findUniqueOrThrow({ where: { roomId_userId_clientMsgId: key }, include: withReactions }), created: false };
    }
  }

  get(roomId: string, id: string): Promise<MessageRow | null> {
    return this.prisma.message.findFirst({ where: { id, roomId }, include: withReactions });
  }

  /**
   * A page of history next to `cursor` (exclusive) in (createdAt, id) order: `older` pages
   * backwards, otherwise forwards. Returns up to `take` rows, nearest to the cursor first.
   */
  page(roomId: string, opts: { cursor?: Message; older: boolean; take: number }): Promise<MessageRow[]> {
    const c = opts.cursor;
    const op = opts.older ? 'lt' : 'gt';
    const where = c ? { roomId, OR: [{ createdAt: { [op]: c.createdAt } }, { createdAt: c.createdAt, id: { [op]: c.id } }] } : { roomId };
    const dir = opts.older ? 'desc' : 'asc';
    return this.prisma.message.findMany({ where, orderBy: [{ createdAt: dir }, { id: dir }], take: opts.take, include: withReactions });
  }

  edit(id: string, text: string): Promise<MessageRow> {
    return this.prisma.message.update({ where: { id }, data: { text, editedAt: new Date() }, include: withReactions });
  }

  /** Soft delete; false when already deleted. */
  async softDelete(id: string): Promise<boolean> {
    const { count } = await this.prisma.message.updateMany({ where: { id, deletedAt: null }, data: { deletedAt: new Date(), text: '', attachments: [] } });
    return count === 1;
  }

  /** Adds or removes one reaction; false when nothing changed. */
  async react(messageId: string, userId: string, emoji: string, on: boolean): Promise<boolean> {
    if (on) return (await this.prisma.reaction.createMany({ data: [{ messageId, userId, emoji }], skipDuplicates: true })).count === 1;
    return (await this.prisma.reaction.deleteMany({ where: { messageId, userId, emoji } })).count === 1;
  }

  /** Pins or unpins; false when already in that state. */
  async pin(id: string, pinned: boolean, by: string): Promise<boolean> {
    const { count } = await this.prisma.message.updateMany({
      where: { id, pinnedAt: pinned ? null : { not: null } },
      data: pinned ? { pinnedAt: new Date(), pinnedBy: by } : { pinnedAt: null, pinnedBy: null },
    });
    return count === 1;
  }

  async markRead(roomId: string, userId: string, messageId: string): Promise<void> {
    await this.prisma.readReceipt.upsert({ where: { roomId_userId: { roomId, userId } }, create: { roomId, userId, messageId }, update: { messageId, readAt: new Date() } });
  }
}
