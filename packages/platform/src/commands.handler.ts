import { Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap, type Type } from '@nestjs/common';
import type { ServiceName } from '@switchboard/protocol';
import { CommandBus, type Subscription } from './nats.js';
import { Wiring } from './wiring.js';

/**
 * The NATS entry of a service's commands: one queue-group subscription on `sb.cmd.<service>.>`
 * serving every `@Command` method of every domain (replicas share one queue group per service,
 * so a message must reach a subscriber that knows its verb). It imports no domain: Wiring finds
 * them, and the boot fails when a verb has no method or two. Each service extends it at its root.
 */
export function commandsHandlerFor(service: ServiceName): Type<OnApplicationBootstrap & BeforeApplicationShutdown> {
  @Injectable()
  class CommandsHandler implements OnApplicationBootstrap, BeforeApplicationShutdown {
    private sub?: Subscription;

    constructor(
      private readonly bus: CommandBus,
      private readonly wiring: Wiring,
    ) {}

    onApplicationBootstrap() {
      this.sub = this.bus.serve(service, this.wiring.commands(service), { untraced: this.wiring.untracedCommands(service) });
    }

    async beforeApplicationShutdown() {
      await this.sub?.drain();
    }
  }
  return CommandsHandler;
}
