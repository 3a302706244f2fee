import { Injectable } from '@nestjs/common';
import type { DomainHandlers } from '@switchboard/platform';
import { RendezvousService } from './rendezvous.service.js';

/** NATS entry for `rendezvous.*`. */
@Injectable()
export class RendezvousHandler {
  constructor(private readonly rendezvous: RendezvousService) {}

  handlers(): DomainHandlers<'presence', 'rendezvous'> {
    return { 'rendezvous.register': (data, caller) => this.rendezvous.register(caller, data) };
  }
}
