import { Inject, Injectable } from '@nestjs/common';
import { LOGGER, newId, type Logger } from '@switchboard/platform';
import { isErrorCode } from '@switchboard/protocol';
import { toErrorReply } from '../http/protocol-error.filter.js';
import type { AdminInput, AdminRouteDef } from '../http/route.js';
import type { AuditAction, AuditEntry } from './audit.schemas.js';
import { AuditStore } from './audit.store.js';

const MAX_TARGET = 200;

/**
 * Writes one audit entry per admin mutation, after the mutation, with its outcome. The
 * response waits for JetStream's ack, so a mutation the caller saw succeed is on record.
 * When the write fails the mutation has already happened: the caller still gets its result
 * (a retry would repeat it), and the entry goes to the error log with `audit write failed`.
 */
@Injectable()
export class AuditService {
  constructor(
    private readonly store: AuditStore,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async recordCall(
    audit: NonNullable<AdminRouteDef['audit']>,
    call: { actor: string; raw: { params?: Record<string, unknown>; body?: unknown }; input?: AdminInput; result?: unknown; error?: unknown },
  ): Promise<void> {
    type Source = Parameters<typeof audit.target>[0];
    const source: Source = (call.input as Source | undefined) ?? { params: call.raw.params ?? {}, body: (call.raw.body && typeof call.raw.body === 'object' ? call.raw.body : {}) as Record<string, unknown> };
    const failure = call.error === undefined ? undefined : toErrorReply(call.error);
    const details = call.input && audit.details ? audit.details(call.input, call.result) : {};
    await this.record({
      actor: call.actor,
      action: audit.action,
      target: String(audit.target(source) ?? '').slice(0, MAX_TARGET),
      details: failure ? { ...details, error: failure.message } : details,
      outcome: !failure ? 'ok' : isErrorCode(failure.code) ? failure.code : 'internal',
    });
  }

  async record(e: Omit<AuditEntry, 'id' | 'ts'>): Promise<void> {
    const entry: AuditEntry = { id: newId('au'), ts: Date.now(), ...e, details: dropUndefined(e.details) };
    try {
      await this.store.append(entry);
    } catch (err) {
      this.logger.error({ err, audit: entry }, 'audit write failed');
    }
  }

  list(query: { limit: number; action?: AuditAction; actor?: string }): Promise<AuditEntry[]> {
    return this.store.newest(query);
  }
}

const dropUndefined = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
