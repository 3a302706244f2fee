import { Injectable } from '@nestjs/common';
import type * as proto from '@switchboard/proto';
import { badRequest, CALL_OUTCOMES, Id, notFound } from '@switchboard/protocol';
import { CallLogStore } from './call-log.store.js';
import { decodeCursor, encodeCursor, toProtoCall, type CallOutcome } from './calls.view.js';

const MAX_PAGE = 200;
const DEFAULT_PAGE = 50;

/** Reading the call log (admin API over gRPC): filters, keyset paging, newest first. */
@Injectable()
export class CallLogService {
  constructor(private readonly store: CallLogStore) {}

  async list(req: proto.media.ListCallsRequest): Promise<proto.media.ListCallsResponse> {
    for (const [name, id] of [['roomId', req.roomId], ['userId', req.userId]] as const) {
      if (id && !Id.safeParse(id).success) throw badRequest(`${name} must match [A-Za-z0-9_-]{1,64}`);
    }
    const outcome = req.outcome || undefined;
    if (outcome && outcome !== 'ongoing' && !CALL_OUTCOMES.includes(outcome as CallOutcome)) throw badRequest(`outcome must be one of ${[...CALL_OUTCOMES, 'ongoing'].join(', ')}`);
    if (req.limit < 0 || req.limit > MAX_PAGE) throw badRequest(`limit must be 1..${MAX_PAGE}`);
    const limit = req.limit || DEFAULT_PAGE;
    const rows = await this.store.list({
      roomId: req.roomId || undefined,
      userId: req.userId || undefined,
      startedAfter: req.startedAfter || undefined,
      startedBefore: req.startedBefore || undefined,
      outcome: outcome as CallOutcome | 'ongoing' | undefined,
      after: req.cursor ? decodeCursor(req.cursor) : undefined,
      limit,
    });
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return { calls: page.map(toProtoCall), nextCursor: rows.length > limit && last ? encodeCursor(last.startedAt.getTime(), last.id) : '' };
  }

  async get(callId: string): Promise<proto.media.GetCallResponse> {
    if (!Id.safeParse(callId).success) throw badRequest('callId must match [A-Za-z0-9_-]{1,64}');
    const row = await this.store.get(callId);
    if (!row) throw notFound('call not found');
    return { call: toProtoCall(row) };
  }
}
