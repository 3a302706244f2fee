import { Injectable } from '@nestjs/common';
import { PrismaClient } from '../db/prisma.provider.js';
import type { Prisma } from '../generated/prisma/client.js';
import type { CallOutcome, CallState, EndReason } from './calls.view.js';

export interface CallFilter {
  roomId?: string;
  userId?: string;
  startedAfter?: number;
  startedBefore?: number;
  outcome?: CallOutcome | 'ongoing';
  /** Keyset position: calls strictly older than this one. */
  after?: { startedAt: number; id: string };
  limit: number;
}

export interface CallEnd {
  endedAt: number;
  reason: EndReason;
  outcome: CallOutcome;
  endedBy?: string;
  durationMs?: number;
}

const WITH_PARTIES = { parties: { orderBy: [{ role: 'asc' }, { userId: 'asc' }] } } satisfies Prisma.CallInclude;

/** The durable call log in Postgres (database switchboard_media): one row per call, one per party. */
@Injectable()
export class CallLogStore {
  constructor(private readonly prisma: PrismaClient) {}

  async started(call: CallState): Promise<void> {
    await this.prisma.call.create({
      data: {
        id: call.id,
        roomId: call.roomId,
        callerId: call.callerId,
        mode: call.mode,
        media: call.media,
        startedAt: new Date(call.startedAt),
        parties: { create: [{ userId: call.callerId, role: 'caller' }, ...call.callees.map((userId) => ({ userId, role: 'callee' }))] },
      },
    });
  }

  async answered(callId: string, userId: string, at: number): Promise<void> {
    const when = new Date(at);
    await this.prisma.$transaction([
      this.prisma.call.updateMany({ where: { id: callId, answeredAt: null }, data: { answeredAt: when } }),
      this.prisma.callParty.updateMany({ where: { callId, userId }, data: { answeredAt: when } }),
    ]);
  }

  async declined(callId: string, userId: string, at: number): Promise<void> {
    await this.prisma.callParty.updateMany({ where: { callId, userId }, data: { declinedAt: new Date(at) } });
  }

  async ended(callId: string, end: CallEnd): Promise<void> {
    await this.prisma.call.updateMany({
      where: { id: callId, endedAt: null },
      data: { endedAt: new Date(end.endedAt), endReason: end.reason, outcome: end.outcome, endedBy: end.endedBy ?? null, durationMs: end.durationMs ?? null },
    });
  }

  /** Deletes calls that ended before `cutoff` (their parties go with them); returns how many. */
  async prune(cutoff: number): Promise<number> {
    return (await this.prisma.call.deleteMany({ where: { startedAt: { lt: new Date(cutoff) }, endedAt: { lt: new Date(cutoff) } } })).count;
  }

  get(callId: string) {
    return this.prisma.call.findUnique({ where: { id: callId }, include: WITH_PARTIES });
  }

  /** Newest first (started_at desc, id desc), one more than `limit` so the caller knows a next page exists. */
  list(f: CallFilter) {
    const where: Prisma.CallWhereInput[] = [];
    if (f.roomId) where.push({ roomId: f.roomId });
    if (f.userId) where.push({ parties: { some: { userId: f.userId } } });
    if (f.startedAfter) where.push({ startedAt: { gte: new Date(f.startedAfter) } });
    if (f.startedBefore) where.push({ startedAt: { lt: new Date(f.startedBefore) } });
    if (f.outcome === 'ongoing') where.push({ endedAt: null });
    else if (f.outcome) where.push({ outcome: f.outcome });
    if (f.after) {
      const at = new Date(f.after.startedAt);
      where.push({ OR: [{ startedAt: { lt: at } }, { startedAt: at, id: { lt: f.after.id } }] });
    }
    return this.prisma.call.findMany({ where: { AND: where }, orderBy: [{ startedAt: 'desc' }, { id: 'desc' }], take: f.limit + 1, include: WITH_PARTIES });
  }
}
