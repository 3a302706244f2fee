import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { CommandBus, LOGGER, onSystemEvent, type Logger, type Subscription, type Caller } from '@switchboard/platform';
import { ConnGone, type RequestData } from '@switchboard/protocol';
import { SessionsService } from './sessions.service.js';
import { Command } from '../command.js';

/**
 * Presence's `sb.sys.conn.gone` notices (one replica each, via the queue group) and the
 * gateway's `session.resume` command (and its batch of one gateway turn).
 */
@Injectable()
export class SessionsHandler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private sub?: Subscription;

  constructor(
    private readonly bus: CommandBus,
    private readonly sessions: SessionsService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @Command('session.resume')
  resume(data: RequestData<'rooms', 'session.resume'>, caller: Caller) {
    return this.sessions.resume(caller, data);
  }

  /** The resumes of one gateway turn (ADR 0081); the caller is that gateway, each entry names its user and connection. */
  @Command('session.resume_batch')
  async resumeBatch(data: RequestData<'rooms', 'session.resume_batch'>, caller: Caller) {
    return { results: await this.sessions.resumeBatch(caller.nodeId, data.resumes) };
  }

  onApplicationBootstrap() {
    this.sub = onSystemEvent(this.bus, 'rooms', 'conn.gone', ConnGone, (gone) => this.sessions.connectionGone(gone), this.logger);
  }

  async beforeApplicationShutdown() {
    await this.sub?.drain();
  }
}
