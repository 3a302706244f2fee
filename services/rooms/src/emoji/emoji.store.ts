import { Injectable } from '@nestjs/common';
import { isUniqueViolation, PrismaClient } from '../db/prisma.provider.js';
import type { Attachment, Emoji } from '../generated/prisma/client.js';

export type EmojiRow = Emoji & { attachment: Pick<Attachment, 'contentType' | 'size'> };

export type EmojiRefusal = { refused: 'limit' } | { refused: 'name_taken' } | { refused: 'upload_gone' };

const withImage = { attachment: { select: { contentType: true, size: true } } } as const;

/** Custom emoji rows (ADR 0051): `:name:` → an attachment row holding the image. */
@Injectable()
export class EmojiStore {
  constructor(private readonly prisma: PrismaClient) {}

  /** A room's emoji whose image is not being deleted, by name. */
  list(roomId: string): Promise<EmojiRow[]> {
    return this.prisma.emoji.findMany({ where: { roomId, attachment: { deletedAt: null } }, orderBy: { name: 'asc' }, include: withImage });
  }

  async exists(roomId: string, name: string): Promise<boolean> {
    return (await this.prisma.emoji.count({ where: { roomId, name, attachment: { deletedAt: null } } })) > 0;
  }

  count(roomId: string): Promise<number> {
    return this.prisma.emoji.count({ where: { roomId } });
  }

  /**
   * Binds an unsent upload to `:name:` unless the room has `max` emoji or the name is taken.
   * Per-room advisory lock, so concurrent creates on any replica cannot both pass the count.
   */
  async create(row: { roomId: string; name: string; attachmentId: string; createdBy: string }, max: number): Promise<EmojiRow | EmojiRefusal> {
    try {
      return await this.prisma.$transaction(async (tx) => {
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`emoji:${row.roomId}`}))`;
        if ((await tx.emoji.count({ where: { roomId: row.roomId } })) >= max) return { refused: 'limit' } as const;
        // Still the caller's unsent upload (a chat.send may have taken it meanwhile).
        const upload = await tx.attachment.count({ where: { id: row.attachmentId, messageId: null, deletedAt: null } });
        if (!upload) return { refused: 'upload_gone' } as const;
        return tx.emoji.create({ data: row, include: withImage });
      });
    } catch (err) {
      if (isUniqueViolation(err)) return { refused: 'name_taken' };
      throw err;
    }
  }

  /** Removes `:name:`; returns its image's attachment id, or undefined when there was none. */
  async remove(roomId: string, name: string): Promise<string | undefined> {
    const rows = await this.prisma.emoji.findMany({ where: { roomId, name }, select: { attachmentId: true } });
    if (!rows.length) return undefined;
    const { count } = await this.prisma.emoji.deleteMany({ where: { roomId, name } });
    return count ? rows[0].attachmentId : undefined;
  }
}
