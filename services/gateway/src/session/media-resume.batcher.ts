import { Inject, Injectable } from '@nestjs/common';
import { Batcher, CommandBus, CONFIG, LOGGER, serviceCaller, type Caller, type Logger } from '@switchboard/platform';
import { MEDIA_RESUME_BATCH_MAX } from '@switchboard/protocol';
import type { GatewayConfig } from '../config.js';

interface Pending {
  resume: { sessionId: string; userId: string; connectionId: string };
  done: () => void;
}

/**
 * The media half of `session.resume` (ADR 0007: the session's call leg moves to the new
 * connection), for every resume rooms accepted in one event-loop turn in one
 * `session.resume_batch` request (ADR 0070): in a reconnect storm most resumes have no call, and
 * one request per resume was a NATS round trip, a span and a command envelope in the gateway
 * and in media each. At most MEDIA_RESUME_BATCH_MAX per request (a larger turn is split).
 * Never rejects: a leg that cannot move ends after its grace, the rooms still resume (logged).
 */
@Injectable()
export class MediaResumeBatcher {
  private readonly batcher = new Batcher<Pending>({ windowMs: 0, max: MEDIA_RESUME_BATCH_MAX, send: (batch) => void this.send(batch) });
  /** The gateway as the caller of its own batch requests (each entry names its connection). */
  private readonly self: Caller;

  constructor(
    private readonly bus: CommandBus,
    @Inject(CONFIG) config: GatewayConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.self = serviceCaller('gateway', config.NODE_ID);
  }

  /** Moves the session's call leg (if any) to `conn`; resolves once media answered (or failed). */
  resume(conn: Pick<Caller, 'userId' | 'connectionId'>, sessionId: string): Promise<void> {
    return new Promise((done) => {
      this.batcher.add({ resume: { sessionId, userId: conn.userId, connectionId: conn.connectionId }, done });
    });
  }

  private async send(batch: Pending[]): Promise<void> {
    try {
      await this.bus.request('media', 'session.resume_batch', this.self, { resumes: batch.map((p) => p.resume) });
    } catch (err) {
      this.logger.warn({ err: (err as Error).message, resumes: batch.length }, 'media session.resume_batch failed');
    }
    for (const p of batch) p.done();
  }
}
