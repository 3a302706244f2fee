import { Injectable } from '@nestjs/common';
import type { DomainHandlers } from '@switchboard/platform';
import { FloorService } from './floor.service.js';

/** NATS verbs `floor.*`, served by the rooms command subscription. */
@Injectable()
export class FloorHandler {
  constructor(private readonly floor: FloorService) {}

  commands(): DomainHandlers<'rooms', 'floor'> {
    return {
      'floor.request': (data, caller) => this.floor.request(caller, data),
      'floor.release': (data, caller) => this.floor.release(caller, data),
    };
  }
}
