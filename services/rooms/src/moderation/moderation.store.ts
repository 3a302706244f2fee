import { Injectable } from '@nestjs/common';
import { PrismaClient, TX_OPTIONS } from '../db/prisma.provider.js';
import type { Member } from '../generated/prisma/client.js';

/** Bans, roles and mutes in Postgres. */
@Injectable()
export class ModerationStore {
  constructor(private readonly prisma: PrismaClient) {}

  async isBanned(roomId: string, userId: string): Promise<boolean> {
    return (await this.prisma.ban.count({ where: { roomId, userId } })) > 0;
  }

  /** Records the ban and ends the membership in one transaction. */
  async ban(roomId: string, userId: string, bannedBy: string, reason: string): Promise<void> {
    await this.prisma.$transaction(async (tx) => {
      await tx.ban.upsert({ where: { roomId_userId: { roomId, userId } }, create: { roomId, userId, bannedBy, reason }, update: { bannedBy, reason } });
      await tx.member.deleteMany({ where: { roomId, userId } });
    }, TX_OPTIONS);
  }

  async unban(roomId: string, userId: string): Promise<boolean> {
    const { count } = await this.prisma.ban.deleteMany({ where: { roomId, userId } });
    return count === 1;
  }

  setRole(roomId: string, userId: string, role: string): Promise<Member> {
    return this.prisma.member.update({ where: { roomId_userId: { roomId, userId } }, data: { role } });
  }

  setMuted(roomId: string, userId: string, muted: boolean, by: string): Promise<Member> {
    return this.prisma.member.update({ where: { roomId_userId: { roomId, userId } }, data: { muted, mutedBy: muted ? by : null } });
  }

  /** Hands the room to another member; the previous owner stays on as moderator. */
  async transferOwnership(roomId: string, from: string, to: string): Promise<void> {
    await this.prisma.$transaction(async (tx) => {
      await tx.room.update({ where: { id: roomId }, data: { ownerId: to } });
      await tx.member.update({ where: { roomId_userId: { roomId, userId: to } }, data: { role: 'owner' } });
      await tx.member.update({ where: { roomId_userId: { roomId, userId: from } }, data: { role: 'moderator' } });
    }, TX_OPTIONS);
  }
}
