import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { CommandBus, LOGGER, onSystemEvent, type CommandHandlers, type Logger, type Subscription } from '@switchboard/platform';
import { ConnGone } from '@switchboard/protocol';
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

  commands(): Pick<CommandHandlers<'rooms'>, 'session.resume'> {
    return { 'session.resume': (data, caller) => this.sessions.resume(caller, data) };
  }

  onApplicationBootstrap() {
    this.sub = onSystemEvent(this.bus, 'rooms', 'conn.gone', ConnGone, (gone) => this.sessions.connectionGone(gone), this.logger);
  }

  async beforeApplicationShutdown() {
    await this.sub?.drain();
  }
}
