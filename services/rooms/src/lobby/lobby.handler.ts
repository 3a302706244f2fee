import { Injectable } from '@nestjs/common';
import type { CommandData } from '@switchboard/protocol';
import { Command } from '../command.js';
import { LobbyService } from './lobby.service.js';

/** NATS entry for `rooms.subscribe`: the registry snapshot (the gateway keeps the watch). */
@Injectable()
export class LobbyHandler {
  constructor(private readonly lobby: LobbyService) {}

  @Command('rooms.subscribe')
  subscribe(data: CommandData<'rooms.subscribe'>) {
    return this.lobby.snapshot(data);
  }
}
