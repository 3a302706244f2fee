import { Injectable } from '@nestjs/common';
import { ChannelsService } from './channels.service.js';
import type { Caller } from '@switchboard/platform';
import type { CommandData } from '@switchboard/protocol';
import { Command } from '../command.js';

/** NATS verbs `channel.*`, served by the rooms command subscription. */
@Injectable()
export class ChannelsHandler {
  constructor(private readonly channels: ChannelsService) {}

  @Command('channel.create')
  create(data: CommandData<'channel.create'>, caller: Caller) {
    return this.channels.create(caller, data);
  }

  @Command('channel.rename')
  rename(data: CommandData<'channel.rename'>, caller: Caller) {
    return this.channels.rename(caller, data);
  }

  @Command('channel.archive')
  archive(data: CommandData<'channel.archive'>, caller: Caller) {
    return this.channels.archive(caller, data);
  }

  @Command('channel.reorder')
  reorder(data: CommandData<'channel.reorder'>, caller: Caller) {
    return this.channels.reorder(caller, data);
  }
}
