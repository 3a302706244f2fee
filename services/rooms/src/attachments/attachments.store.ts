import { Injectable } from '@nestjs/common';
import { PrismaClient } from '../db/prisma.provider.js';
import type { Attachment } from '../generated/prisma/client.js';

/** A row with the custom emoji it is the image of, if any (then it belongs to no message). */
export type AttachmentRow = Attachment & { emoji: { name: string } | null };

const withEmoji = { emoji: { select: { name: true } } } as const;

export interface NewAttachment {
  id: string;
  roomId: string;
  userId: string;
  key: string;
  name: string;
  size: number;
  contentType: string;
}

/** Why a reservation was refused (the service turns it into a protocol error). */
export type ReserveRefusal = { refused: 'quota'; usedBytes: number } | { refused: 'pending'; pending: number };

/** Attachment rows in Postgres: who uploaded what, to which message it belongs, what is to be deleted. */
@Injectable()
export class AttachmentsStore {
  constructor(private readonly prisma: PrismaClient) {}

  /**
   * Inserts a pending upload unless the user's quota or pending-upload cap would be exceeded.
   * One transaction holding a per-user advisory lock, so concurrent uploads on any replica
   * cannot both pass the check.
   */
  reserve(row: NewAttachment, limits: { quotaBytes: number; maxPending: number }): Promise<Attachment | ReserveRefusal> {
    return this.prisma.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`attachments:${row.userId}`}))`;
      const live = { userId: row.userId, deletedAt: null };
      const [used, pending] = await Promise.all([tx.attachment.aggregate({ where: live, _sum: { size: true } }), tx.attachment.count({ where: { ...live, messageId: null, emoji: { is: null } } })]);
      const usedBytes = used._sum.size ?? 0;
      if (usedBytes + row.size > limits.quotaBytes) return { refused: 'quota', usedBytes } as const;
      if (pending >= limits.maxPending) return { refused: 'pending', pending } as const;
      return tx.attachment.create({ data: row });
    });
  }

  get(id: string): Promise<AttachmentRow | null> {
    return this.prisma.attachment.findUnique({ where: { id }, include: withEmoji });
  }

  /** The live rows among `ids` (any owner, any room: the caller checks). */
  live(ids: string[]): Promise<AttachmentRow[]> {
    return this.prisma.attachment.findMany({ where: { id: { in: ids }, deletedAt: null }, include: withEmoji });
  }

  /** Marks rows for deletion (their objects go next); returns how many changed. */
  async markDeleted(where: { ids?: string[]; messageId?: string; roomId?: string }): Promise<number> {
    const { count } = await this.prisma.attachment.updateMany({
      where: { deletedAt: null, ...(where.ids ? { id: { in: where.ids } } : {}), ...(where.messageId ? { messageId: where.messageId } : {}), ...(where.roomId ? { roomId: where.roomId } : {}) },
      data: { deletedAt: new Date() },
    });
    return count;
  }

  /**
   * Marks what nobody may download any more: attachments of deleted messages and of closed
   * rooms, and uploads neither sent nor made a custom emoji within `pendingMaxAgeMs`. Returns how many rows it marked.
   */
  async markOrphans(pendingMaxAgeMs: number): Promise<number> {
    const cutoff = new Date(Date.now() - pendingMaxAgeMs);
    return this.prisma.$executeRaw`
      UPDATE attachments a SET deleted_at = now()
      WHERE a.deleted_at IS NULL AND (
        (a.message_id IS NULL AND a.created_at < ${cutoff} AND NOT EXISTS (SELECT 1 FROM room_emoji e WHERE e.attachment_id = a.id))
        OR EXISTS (SELECT 1 FROM messages m WHERE m.id = a.message_id AND m.deleted_at IS NOT NULL)
        OR EXISTS (SELECT 1 FROM rooms r WHERE r.id = a.room_id AND r.closed_at IS NOT NULL)
      )`;
  }

  /** Rows marked for deletion, oldest first, at most `take`. */
  marked(take: number, where: { messageId?: string; roomId?: string } = {}): Promise<Attachment[]> {
    return this.prisma.attachment.findMany({ where: { deletedAt: { not: null }, ...where }, orderBy: { deletedAt: 'asc' }, take });
  }

  async remove(ids: string[]): Promise<void> {
    await this.prisma.attachment.deleteMany({ where: { id: { in: ids }, deletedAt: { not: null } } });
  }

  /** A room's live attachments, newest first, paged by (createdAt, id). */
  listRoom(roomId: string, opts: { take: number; before?: { createdAt: Date; id: string } }): Promise<Attachment[]> {
    const c = opts.before;
    const where = c ? { roomId, deletedAt: null, OR: [{ createdAt: { lt: c.createdAt } }, { createdAt: c.createdAt, id: { lt: c.id } }] } : { roomId, deletedAt: null };
    return this.prisma.attachment.findMany({ where, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: opts.take });
  }

  /** Live bytes and objects of a room (pending uploads included). */
  async usage(roomId: string): Promise<{ bytes: number; objects: number }> {
    const r = await this.prisma.attachment.aggregate({ where: { roomId, deletedAt: null }, _sum: { size: true }, _count: { _all: true } });
    return { bytes: r._sum.size ?? 0, objects: r._count._all };
  }

  /** Live bytes across all rooms (the stored-bytes gauge). */
  async totalBytes(): Promise<number> {
    const r = await this.prisma.attachment.aggregate({ where: { deletedAt: null }, _sum: { size: true } });
    return r._sum.size ?? 0;
  }
}
