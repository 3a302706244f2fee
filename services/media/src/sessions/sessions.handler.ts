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

  onApplicationBootstrap() {
    this.sub = onSystemEvent(this.bus, 'media', 'conn.gone', ConnGone, (gone) => Promise.all([this.calls.connectionGone(gone), this.chunks.connectionGone(gone)]), this.logger);
  }

  async beforeApplicationShutdown() {
    await this.sub?.drain();
  }
}
