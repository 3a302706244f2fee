import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager, type StoredMsg } from '@nats-io/jetstream';
import { AUDIT_STREAM, CONFIG, ensureAuditStream, NATS, type NatsConnection } from '@switchboard/platform';
import { unavailable } from '@switchboard/protocol';
import type { GatewayConfig } from '../../config.js';
import { AuditEntrySchema, type AuditAction, type AuditEntry } from './audit.schemas.js';

/** How many of the newest entries one read looks through for matches of its filters. */
export const AUDIT_SCAN_MAX = 10_000;
const BATCH = 100;

export const auditSubject = (action: AuditAction) => `sb.audit.${action}`;

/**
 * The audit log lives in the JetStream stream SB_AUDIT (file storage, kept
 * AUDIT_MAX_AGE_DAYS), one message per entry on `sb.audit.<action>`; the gateway itself
 * stays stateless. Reads walk back from the stream's last sequence with direct gets
 * (NATS 2.9), so the newest entries come first without creating consumers.
 */
@Injectable()
export class AuditStore implements OnModuleInit {
  private readonly js: JetStreamClient;
  private jsm?: Promise<JetStreamManager>;

  constructor(
    @Inject(NATS) private readonly nc: NatsConnection,
    @Inject(CONFIG) private readonly config: GatewayConfig,
  ) {
    this.js = jetstream(nc);
  }

  /** Creates or updates the stream before the gateway serves its first request. */
  async onModuleInit(): Promise<void> {
    await ensureAuditStream(this.nc, { maxAgeDays: this.config.AUDIT_MAX_AGE_DAYS });
  }

  /** Resolves once JetStream has stored the entry (deduplicated by its id). */
  async append(entry: AuditEntry): Promise<void> {
    await this.js.publish(auditSubject(entry.action), JSON.stringify(entry), { msgID: entry.id, timeout: this.config.REQUEST_TIMEOUT_MS });
  }

  /** The newest `limit` entries matching the filters, newest first, among the newest AUDIT_SCAN_MAX. */
  async newest(opts: { limit: number; action?: AuditAction; actor?: string }): Promise<AuditEntry[]> {
    try {
      const jsm = await (this.jsm ??= jetstreamManager(this.nc));
      const { state } = await jsm.streams.info(AUDIT_STREAM);
      if (state.messages === 0) return [];
      const floor = Math.max(state.first_seq, state.last_seq - AUDIT_SCAN_MAX + 1);
      const subject = opts.action && auditSubject(opts.action);
      const found: AuditEntry[] = [];
      for (let hi = state.last_seq; hi >= floor && found.length < opts.limit; hi -= BATCH) {
        const seqs = Array.from({ length: Math.min(BATCH, hi - floor + 1) }, (_, i) => hi - i);
        const msgs = await Promise.all(seqs.map((seq) => jsm.direct.getMessage(AUDIT_STREAM, { seq }).catch(() => null)));
        for (const m of msgs) {
          const entry = m && (!subject || m.subject === subject) ? decode(m) : undefined;
          if (entry && (!opts.actor || entry.actor === opts.actor)) found.push(entry);
          if (found.length === opts.limit) break;
        }
      }
      return found;
    } catch {
      throw unavailable('audit log unavailable');
    }
  }
}

function decode(m: StoredMsg): AuditEntry | undefined {
  try {
    const parsed = AuditEntrySchema.safeParse(m.json());
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
