import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { CommandBus, LOGGER, onSystemEvent, type CommandHandler, type Logger, type Subscription } from '@switchboard/platform';
import { ConnGone, RoomsResumeRequest } from '@switchboard/protocol';
import type { z } from 'zod';
import { SessionsService } from './sessions.service.js';

/**
 * Presence's `sb.sys.conn.gone` notices (one replica each, via the queue group) and the
 * gateway's `session.resume` command.
 */
@Injectable()
export class SessionsHandler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private sub?: Subscription;

  constructor(
    private readonly bus: CommandBus,
    private readonly sessions: SessionsService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  commands(): Record<string, CommandHandler> {
    return { 'session.resume': (data, caller) => this.sessions.resume(caller, data) };
  }

  schemas(): Record<string, z.ZodType> {
    return { 'session.resume': RoomsResumeRequest };
  }

  onApplicationBootstrap() {
    this.sub = onSystemEvent(this.bus, 'rooms', 'conn.gone', ConnGone, (gone) => this.sessions.connectionGone(gone), this.logger);
  }

  async beforeApplicationShutdown() {
    await this.sub?.drain();
  }
}
