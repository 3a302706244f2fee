import { Injectable } from '@nestjs/common';
import type { DomainHandlers } from '@switchboard/platform';
import { ChannelsService } from './channels.service.js';

/** NATS verbs `channel.*`, served by the rooms command subscription. */
@Injectable()
export class ChannelsHandler {
  constructor(private readonly channels: ChannelsService) {}

  commands(): DomainHandlers<'rooms', 'channel'> {
    return {
      'channel.create': (data, caller) => this.channels.create(caller, data),
      'channel.rename': (data, caller) => this.channels.rename(caller, data),
      'channel.archive': (data, caller) => this.channels.archive(caller, data),
      'channel.reorder': (data, caller) => this.channels.reorder(caller, data),
    };
  }
}
