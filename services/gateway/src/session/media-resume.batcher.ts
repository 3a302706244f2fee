import { Inject, Injectable } from '@nestjs/common';
import { CommandBus, CONFIG, LOGGER, serviceCaller, TurnBatcher, type Caller, type Logger } from '@switchboard/platform';
import { MEDIA_RESUME_BATCH_MAX } from '@switchboard/protocol';
import type { GatewayConfig } from '../config.js';

type MediaResume = { sessionId: string; userId: string; connectionId: string };

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
  private readonly batcher: TurnBatcher<MediaResume, string[]>;

  constructor(
    bus: CommandBus,
    @Inject(CONFIG) config: GatewayConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    // The gateway as the caller of its own batch requests (each entry names its connection).
    const self = serviceCaller('gateway', config.NODE_ID);
    this.batcher = new TurnBatcher({
      max: MEDIA_RESUME_BATCH_MAX,
      send: async (resumes) => {
        try {
          return (await bus.request('media', 'session.resume_batch', self, { resumes })).calls.map((ok) => ({ ok }));
        } catch (err) {
          // Once per batch, not per resume: the rooms resume regardless.
          this.logger.warn({ err: (err as Error).message, resumes: resumes.length }, 'media session.resume_batch failed');
          return resumes.map(() => ({ ok: [] }));
        }
      },
    });
  }

  /** Moves the session's call leg (if any) to `conn`; resolves once media answered (or failed). */
  async resume(conn: Pick<Caller, 'userId' | 'connectionId'>, sessionId: string): Promise<void> {
    await this.batcher.add({ sessionId, userId: conn.userId, connectionId: conn.connectionId });
  }
}
