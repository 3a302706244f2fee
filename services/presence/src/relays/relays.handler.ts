import { Injectable } from '@nestjs/common';
import { RelaysService } from './relays.service.js';
import type { Caller } from '@switchboard/platform';
import type { CommandData } from '@switchboard/protocol';
import { Command } from '../command.js';

/** NATS entry for `relay.*`. */
@Injectable()
export class RelaysHandler {
  constructor(private readonly relays: RelaysService) {}

  @Command('relay.register')
  register(data: CommandData<'relay.register'>, caller: Caller) {
    return this.relays.register(caller, data);
  }

  @Command('relay.update_load')
  updateLoad(data: CommandData<'relay.update_load'>, caller: Caller) {
    return this.relays.updateLoad(caller, data);
  }

  @Command('relay.unregister')
  unregister(_data: CommandData<'relay.unregister'>, caller: Caller) {
    return this.relays.unregister(caller);
  }

  @Command('relay.list')
  list(data: CommandData<'relay.list'>, caller: Caller) {
    return this.relays.list(caller, data);
  }
}
