import { Injectable } from '@nestjs/common';
import { isUniqueViolation, PrismaClient } from '../db/prisma.provider.js';
import type { Channel } from '../generated/prisma/client.js';

export type ChannelRow = Channel;

/** Why a channel write was refused (the service turns it into a protocol error). */
export type ChannelRefusal = { refused: 'limit' } | { refused: 'name_taken' } | { refused: 'not_found' } | { refused: 'not_a_permutation' };

const byPosition = [{ position: 'asc' as const }, { createdAt: 'asc' as const }, { id: 'asc' as const }];

/** A room's named channels in Postgres (ADR 0050). Writes that count or order hold a per-room advisory lock. */
@Injectable()
export class ChannelsStore {
  constructor(private readonly prisma: PrismaClient) {}

  list(roomId: string): Promise<ChannelRow[]> {
    return this.prisma.channel.findMany({ where: { roomId }, orderBy: byPosition });
  }

  get(roomId: string, id: string): Promise<ChannelRow | null> {
    return this.prisma.channel.findFirst({ where: { id, roomId } });
  }

  /** Appends a channel unless the room has `max` already or the name is taken; concurrent creates on any replica serialize. */
  async create(row: { id: string; roomId: string; name: string; createdBy: string }, max: number): Promise<ChannelRow | ChannelRefusal> {
    try {
      return await this.prisma.$transaction(async (tx) => {
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`channels:${row.roomId}`}))`;
        const count = await tx.channel.count({ where: { roomId: row.roomId } });
        if (count >= max) return { refused: 'limit' } as const;
        const last = await tx.channel.aggregate({ where: { roomId: row.roomId }, _max: { position: true } });
        return tx.channel.create({ data: { ...row, position: (last._max.position ?? -1) + 1 } });
      });
    } catch (err) {
      if (isUniqueViolation(err)) return { refused: 'name_taken' };
      throw err;
    }
  }

  async update(roomId: string, id: string, patch: { name?: string; archivedAt?: Date | null }): Promise<ChannelRow | ChannelRefusal> {
    try {
      const { count } = await this.prisma.channel.updateMany({ where: { id, roomId }, data: patch });
      if (!count) return { refused: 'not_found' };
    } catch (err) {
      if (isUniqueViolation(err)) return { refused: 'name_taken' };
      throw err;
    }
    return (await this.get(roomId, id)) ?? { refused: 'not_found' };
  }

  /** Sets positions 0..n-1 in the given order; `ids` must name every channel of the room once. */
  reorder(roomId: string, ids: string[]): Promise<ChannelRow[] | ChannelRefusal> {
    return this.prisma.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`channels:${roomId}`}))`;
      const current = await tx.channel.findMany({ where: { roomId }, select: { id: true } });
      const wanted = new Set(ids);
      if (wanted.size !== ids.length || wanted.size !== current.length || current.some((c) => !wanted.has(c.id))) return { refused: 'not_a_permutation' } as const;
      for (const [position, id] of ids.entries()) await tx.channel.update({ where: { id }, data: { position } });
      return tx.channel.findMany({ where: { roomId }, orderBy: byPosition });
    });
  }
}
