import { Injectable } from '@nestjs/common';
import type { CommandHandler } from '@switchboard/platform';
import { RendezvousService } from './rendezvous.service.js';

/** NATS entry for `rendezvous.*`. */
@Injectable()
export class RendezvousHandler {
  constructor(private readonly rendezvous: RendezvousService) {}

  handlers(): Record<string, CommandHandler> {
    return { 'rendezvous.register': (data, caller) => this.rendezvous.register(caller, data) };
  }
}
