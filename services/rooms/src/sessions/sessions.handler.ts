import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { CommandBus, decodeJson, LOGGER, type CommandHandler, type Logger, type Subscription } from '@switchboard/platform';
import { bus } from '@switchboard/proto';
import { Id, queueGroup, subjects } from '@switchboard/protocol';
import { z } from 'zod';
import { SessionsService } from './sessions.service.js';

/** Internal verb called by gateways on `session.resume` (not a client verb). */
export const resumeSchema = z.object({
  sessionId: z.string().min(1).max(64),
  rooms: z.record(Id, z.number().int().min(0)).refine((r) => Object.keys(r).length <= 100, 'at most 100 rooms'),
});

const connGoneSchema = z.object({ connectionId: Id, userId: Id, sessionId: z.string().max(64).default(''), nodeId: z.string().max(128).default(''), reason: z.string().max(200).default('') });

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
    return { 'session.resume': resumeSchema };
  }

  onApplicationBootstrap() {
    this.sub = this.bus.nc.subscribe(subjects.system('conn.gone'), {
      queue: queueGroup('rooms'),
      callback: (err, msg) => {
        if (err) return this.logger.error({ err }, 'conn.gone subscription error');
        void this.onConnGone(msg.data);
      },
    });
  }

  async beforeApplicationShutdown() {
    await this.sub?.drain();
  }

  private async onConnGone(payload: Uint8Array): Promise<void> {
    try {
      const parsed = connGoneSchema.safeParse(decodeJson(bus.Event.decode(payload).data));
      if (!parsed.success) return this.logger.warn({ issues: parsed.error.issues }, 'ignoring malformed conn.gone');
      await this.sessions.connectionGone(parsed.data);
    } catch (err) {
      this.logger.warn({ err }, 'conn.gone handling failed');
    }
  }
}
