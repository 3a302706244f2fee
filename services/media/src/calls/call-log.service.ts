import { Inject, Injectable } from '@nestjs/common';
import { Every, CONFIG, LOGGER, Redis, type Logger } from '@switchboard/platform';
import type * as proto from '@switchboard/proto';
import { badRequest, CALL_OUTCOMES, Id, notFound } from '@switchboard/protocol';
import type { MediaConfig } from '../config.js';
import { CallLogStore } from './call-log.store.js';
import { decodeCursor, encodeCursor, toProtoCall, type CallOutcome } from './calls.view.js';

const MAX_PAGE = 200;
const DEFAULT_PAGE = 50;
/** Held by the replica that prunes, so one replica per interval does it. */
const PRUNE_LOCK = 'sb:media:calls:prune_lock';
const DAY_MS = 24 * 3600_000;

/** Reading the call log (admin API over gRPC: filters, keyset paging, newest first) and keeping it within its retention. */
@Injectable()
export class CallLogService {
  constructor(
    private readonly store: CallLogStore,
    private readonly redis: Redis,
    @Inject(CONFIG) private readonly config: MediaConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** At most once per CALL_LOG_PRUNE_INTERVAL_MS across all replicas: ended calls past the retention go. */
  @Every('call-log-retention')
  private async prune(): Promise<void> {
    if (this.config.CALL_LOG_RETENTION_DAYS <= 0) return; // 0 keeps the log forever
    if ((await this.redis.set(PRUNE_LOCK, this.config.NODE_ID, 'PX', this.config.CALL_LOG_PRUNE_INTERVAL_MS, 'NX')) !== 'OK') return;
    const deleted = await this.store.prune(Date.now() - this.config.CALL_LOG_RETENTION_DAYS * DAY_MS);
    if (deleted) this.logger.info({ deleted, retentionDays: this.config.CALL_LOG_RETENTION_DAYS }, 'call log pruned');
  }

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
