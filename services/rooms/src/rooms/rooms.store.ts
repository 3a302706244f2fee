import { Injectable } from '@nestjs/common';
import { PrismaClient } from '../db/prisma.provider.js';
import type { Member, Room } from '../generated/prisma/client.js';

export type { Member, Room };

export interface NewRoom {
  id: string;
  name: string;
  description: string;
  kind: string;
  joinPolicy: string;
  visibility: string;
  ownerId: string;
  maxParticipants: number;
  metadata: Record<string, unknown>;
}

/** Durable rooms and memberships in Postgres. */
@Injectable()
export class RoomsStore {
  constructor(private readonly prisma: PrismaClient) {}

  /** Creates the room and its owner membership in one transaction. */
  async create(room: NewRoom): Promise<Room> {
    const [created] = await this.prisma.$transaction([
      this.prisma.room.create({ data: { ...room, metadata: room.metadata as object } }),
      this.prisma.member.create({ data: { roomId: room.id, userId: room.ownerId, role: 'owner' } }),
    ]);
    return created;
  }

  findOpen(id: string): Promise<Room | null> {
    return this.prisma.room.findFirst({ where: { id, closedAt: null } });
  }

  member(roomId: string, userId: string): Promise<Member | null> {
    return this.prisma.member.findUnique({ where: { roomId_userId: { roomId, userId } } });
  }

  /** Adds the user as a member if not one already; returns the membership. */
  ensureMember(roomId: string, userId: string): Promise<Member> {
    return this.prisma.member.upsert({ where: { roomId_userId: { roomId, userId } }, create: { roomId, userId }, update: {} });
  }

  async removeMember(roomId: string, userId: string): Promise<void> {
    await this.prisma.member.deleteMany({ where: { roomId, userId } });
  }
}
