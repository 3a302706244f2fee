import { Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { CommandBus, Wiring, type Subscription } from '@switchboard/platform';

/**
 * NATS entry for `sb.cmd.rooms.*`: one queue-group subscription serving every `@Command`
 * method of every domain (replicas share one queue group per service, so a message must reach
 * a subscriber that knows its verb). No domain is imported here: Wiring finds them, and the
 * boot fails when a verb has no method or two.
 */
@Injectable()
export class RoomsCommandsHandler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private sub?: Subscription;

  constructor(
    private readonly bus: CommandBus,
    private readonly wiring: Wiring,
  ) {}

  onApplicationBootstrap() {
    this.sub = this.bus.serve('rooms', this.wiring.commands('rooms'));
  }

  async beforeApplicationShutdown() {
    await this.sub?.drain();
  }
}
