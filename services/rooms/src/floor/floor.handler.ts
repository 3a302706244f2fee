import { Injectable } from '@nestjs/common';
import { FloorService } from './floor.service.js';
import type { Caller } from '@switchboard/platform';
import type { CommandData } from '@switchboard/protocol';
import { Command } from '../command.js';

/** NATS verbs `floor.*`, served by the rooms command subscription. */
@Injectable()
export class FloorHandler {
  constructor(private readonly floor: FloorService) {}

  @Command('floor.request')
  request(data: CommandData<'floor.request'>, caller: Caller) {
    return this.floor.request(caller, data);
  }

  @Command('floor.release')
  release(data: CommandData<'floor.release'>, caller: Caller) {
    return this.floor.release(caller, data);
  }
}
