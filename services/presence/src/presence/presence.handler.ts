import { Injectable } from '@nestjs/common';
import type { Caller } from '@switchboard/platform';
import type { CommandData } from '@switchboard/protocol';
import { Command } from '../command.js';
import { PresenceService } from './presence.service.js';

/** NATS entry for `presence.*` (served by PresenceCommandsHandler). */
@Injectable()
export class PresenceHandler {
  constructor(private readonly presence: PresenceService) {}

  @Command('presence.set')
  set(data: CommandData<'presence.set'>, caller: Caller) {
    return this.presence.set(caller, data);
  }

  @Command('presence.query')
  async query(data: CommandData<'presence.query'>, caller: Caller) {
    return { presence: await this.presence.query(caller.userId, data.userIds) };
  }

  // Routing interest lives in the caller's gateway (its NATS subscriptions); presence keeps who
  // watches whom only to publish changes nobody watches not at all (ADR 0083).
  @Command('presence.subscribe')
  async subscribe(data: CommandData<'presence.subscribe'>, caller: Caller) {
    return { presence: await this.presence.watch(caller, data.userIds) };
  }

  @Command('presence.unsubscribe')
  async unsubscribe(data: CommandData<'presence.unsubscribe'>, caller: Caller) {
    await this.presence.unwatch(caller, data.userIds);
    return { presence: {} };
  }
}
