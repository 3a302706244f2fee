import { Injectable } from '@nestjs/common';
import { ChannelsStore } from './channels.store.js';

/**
 * A room's channels for `room.get`: a plain read without room checks, so it sits in
 * ChannelListModule, below RoomsModule, while ChannelsService (which checks roles through
 * RoomsService) sits above it (ADR 0074).
 */
@Injectable()
export class ChannelList {
  constructor(private readonly store: ChannelsStore) {}

  list(...args: Parameters<ChannelsStore['list']>) {
    return this.store.list(...args);
  }
}
