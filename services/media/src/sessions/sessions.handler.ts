import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { CommandBus, LOGGER, onSystemEvent, type Logger, type Subscription, type Caller } from '@switchboard/platform';
import { ConnGone, type RequestData } from '@switchboard/protocol';
import { CallsService } from '../calls/calls.service.js';
import { ChunksService } from '../chunks/chunks.service.js';
import { Command } from '../command.js';

/**
 * Connection lifecycle for media: presence's `sb.sys.conn.gone` (one media replica each) ends
 * call legs after the grace and drops chunk sources at once; the gateway's `session.resume`
 * moves the resumed session's call leg to its new connection (ADR 0007).
 */
@Injectable()
export class SessionsHandler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private sub?: Subscription;

  constructor(
    private readonly bus: CommandBus,
    private readonly calls: CallsService,
    private readonly chunks: ChunksService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @Command('session.resume')
  resume(data: RequestData<'media', 'session.resume'>, caller: Caller) {
    return this.calls.resume(caller, data.sessionId);
  }

  /**
   * The resumes of one gateway tick (ADR 0070): each entry's leg moves like `session.resume`'s;
   * one that fails answers no calls (its call ends after the grace) without failing the others.
   */
  @Command('session.resume_batch')
  async resumeBatch(data: RequestData<'media', 'session.resume_batch'>) {
    const calls = await Promise.all(
      data.resumes.map(({ sessionId, ...leg }) =>
        this.calls.resume(leg, sessionId).then(
          (r) => r.calls,
          (err: Error) => {
            this.logger.warn({ err: err.message, connectionId: leg.connectionId }, 'session.resume of a batch failed');
            return [];
          },
        ),
      ),
    );
    return { calls };
  }

  onApplicationBootstrap() {
    this.sub = onSystemEvent(this.bus, 'media', 'conn.gone', ConnGone, (gone) => Promise.all([this.calls.connectionGone(gone), this.chunks.connectionGone(gone)]), this.logger);
  }

  async beforeApplicationShutdown() {
    await this.sub?.drain();
  }
}
