import { Injectable } from '@nestjs/common';
import type { DomainHandlers } from '@switchboard/platform';
import { RelaysService } from './relays.service.js';

/** NATS entry for `relay.*`. */
@Injectable()
export class RelaysHandler {
  constructor(private readonly relays: RelaysService) {}

  handlers(): DomainHandlers<'presence', 'relay'> {
    return {
      'relay.register': (data, caller) => this.relays.register(caller, data),
      'relay.update_load': (data, caller) => this.relays.updateLoad(caller, data),
      'relay.unregister': (_data, caller) => this.relays.unregister(caller),
      'relay.list': (data, caller) => this.relays.list(caller, data),
    };
  }
}
