import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { COMMAND, commandTable, EVERY, LOGGER, uniqueBy, Wiring, type Logger } from '@switchboard/platform';
import { CommandHooks } from '../commands/command.hooks.js';
import { CommandRouter } from '../commands/command.router.js';
import { LocalCommands } from '../commands/local.commands.js';
import { ConnectionRegistry } from '../connections/connection.registry.js';
import { EventDelivery } from '../routing/event.delivery.js';
import { Subscriptions } from '../routing/subscriptions.js';
import {
  ANSWER_HERE,
  BEFORE_FORWARD,
  INTERCEPT_EVENT,
  INTERCEPT_FRAMES,
  ON_CONNECTION_CLOSED,
  ON_EVENT,
  ON_ROOM_LEFT,
  type ClosedListener,
  type EventInterceptor,
  type EventReaction,
  type ForwardWrapper,
  type FrameInterceptor,
  type HereAnswer,
  type LeftListener,
} from './decorators.js';

/**
 * Connects the gateway's decorated methods to the parts that call them, once at start-up:
 * every gateway verb to exactly one `@Command`, each forwarded verb to at most one
 * `@BeforeForward` and at most one `@AnswerHere`, each event type to at most one `@OnEvent` and one `@InterceptEvent`, at
 * most one `@InterceptFrames`, and every `@OnConnectionClosed` and `@OnRoomLeft`. A double claim fails the boot, naming both methods.
 */
@Injectable()
export class GatewayWiring implements OnModuleInit {
  constructor(
    private readonly wiring: Wiring,
    private readonly local: LocalCommands,
    private readonly hooks: CommandHooks,
    private readonly subs: Subscriptions,
    private readonly delivery: EventDelivery,
    private readonly registry: ConnectionRegistry,
    private readonly router: CommandRouter,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit() {
    // The gateway keeps no shared timers: an @Every here would never run, so it is refused.
    const sweep = this.wiring.find(EVERY)[0];
    if (sweep) throw new Error(`${sweep.where} is an @Every sweep, but the gateway runs no Sweeper`);
    for (const [verb, call] of commandTable('gateway', this.wiring.find(COMMAND))) this.local.register(verb as never, call as never);
    for (const [verb, w] of uniqueBy(this.wiring.find(BEFORE_FORWARD), (m) => m.verb, 'before-forward hook of')) this.hooks.register(verb as never, w.call as ForwardWrapper<never>);
    for (const [verb, w] of uniqueBy(this.wiring.find(ANSWER_HERE), (m) => m.verb, 'answer-here hook of')) this.hooks.registerHere(verb as never, w.call as HereAnswer<never>);
    for (const [type, w] of uniqueBy(this.wiring.find(ON_EVENT), (m) => m.type, 'event reaction to')) this.delivery.on(type, w.call as EventReaction);
    for (const [type, w] of uniqueBy(this.wiring.find(INTERCEPT_EVENT), (m) => m.type, 'interceptor of')) this.delivery.intercept(type, w.call as EventInterceptor);
    for (const w of this.wiring.find(ON_CONNECTION_CLOSED)) {
      const listener = w.call as ClosedListener;
      this.registry.onRemove((conn) => {
        const done = listener(conn);
        if (done instanceof Promise) done.catch((err: unknown) => this.logger.warn({ err, connectionId: conn.id, listener: w.where }, 'connection cleanup failed'));
      });
    }
    const [frames, second] = this.wiring.find(INTERCEPT_FRAMES);
    if (second) throw new Error(`frame interceptor is registered twice: ${frames!.where} and ${second.where}`);
    if (frames) this.router.intercept(frames.call as FrameInterceptor);
    for (const w of this.wiring.find(ON_ROOM_LEFT)) this.registry.onLeave(w.call as LeftListener);
    // Every event from a subscription goes through delivery (ordering, addressing, the above).
    this.subs.onEvent((conn, event) => this.delivery.deliver(conn, event));
  }
}
