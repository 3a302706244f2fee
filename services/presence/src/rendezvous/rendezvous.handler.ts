import { Injectable } from '@nestjs/common';
import { RendezvousService } from './rendezvous.service.js';
import type { Caller } from '@switchboard/platform';
import type { CommandData } from '@switchboard/protocol';
import { Command } from '../command.js';

/** NATS entry for `rendezvous.*`. */
@Injectable()
export class RendezvousHandler {
  constructor(private readonly rendezvous: RendezvousService) {}

  @Command('rendezvous.register')
  register(data: CommandData<'rendezvous.register'>, caller: Caller) {
    return this.rendezvous.register(caller, data);
  }
}
