import { Injectable } from '@nestjs/common';
import { PrismaClient, TX_OPTIONS } from '../db/prisma.provider.js';
import type { JoinRequest } from '../generated/prisma/client.js';

export type { JoinRequest };

/**
 * Join requests in Postgres. Pending requests are rows with status `pending`: they must
 * survive restarts, and a conditional UPDATE decides each exactly once across replicas.
 */
@Injectable()
export class ApprovalsStore {
  constructor(private readonly prisma: PrismaClient) {}

  pendingOf(roomId: string, userId: string): Promise<JoinRequest | null> {
    return this.prisma.joinRequest.findFirst({ where: { roomId, userId, status: 'pending' } });
  }

  create(req: { id: string; roomId: string; userId: string; userName: string; message?: string }): Promise<JoinRequest> {
    return this.prisma.joinRequest.create({ data: req });
  }

  /**
   * Moves a pending request to approved/rejected (approval also grants membership, in the
   * same transaction); null when unknown or already decided.
   */
  decide(roomId: string, requestId: string, status: 'approved' | 'rejected', decidedBy: string): Promise<JoinRequest | null> {
    return this.prisma.$transaction(async (tx) => {
      const { count } = await tx.joinRequest.updateMany({ where: { id: requestId, roomId, status: 'pending' }, data: { status, decidedBy, decidedAt: new Date() } });
      if (count !== 1) return null;
      const req = await tx.joinRequest.findUniqueOrThrow({ where: { id: requestId } });
      if (status === 'approved') await tx.member.upsert({ where: { roomId_userId: { roomId, userId: req.userId } }, create: { roomId, userId: req.userId }, update: {} });
      return req;
    }, TX_OPTIONS);
  }
}
