import { Injectable } from '@nestjs/common';
import { GrpcClients } from '../grpc-clients.js';
import type { ResultOf } from '../http/route.js';
import type { AdminRoutes } from '../routes.js';
import { toCallOut } from './calls.view.js';

/** The call log, read through the media service's gRPC API. */
@Injectable()
export class AdminCallsService {
  constructor(private readonly grpc: GrpcClients) {}

  async list(q: { roomId?: string; userId?: string; from?: number; to?: number; outcome?: string; cursor?: string; limit: number }): Promise<ResultOf<AdminRoutes['listCalls']>> {
    const page = await this.grpc.media((c) => c.listCalls, {
      roomId: q.roomId ?? '',
      userId: q.userId ?? '',
      startedAfter: q.from ?? 0,
      startedBefore: q.to ?? 0,
      outcome: q.outcome ?? '',
      cursor: q.cursor ?? '',
      limit: q.limit,
    });
    return { calls: page.calls.map(toCallOut), nextCursor: page.nextCursor || null };
  }

  async get(callId: string): Promise<ResultOf<AdminRoutes['getCall']>> {
    const res = await this.grpc.media((c) => c.getCall, { callId });
    return { call: toCallOut(res.call!) };
  }
}
