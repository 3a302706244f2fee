import { Injectable } from '@nestjs/common';
import { CommandBus, RoomEventsPublisher } from '@switchboard/platform';
import type { EventData, RoomEvent } from '@switchboard/protocol';
import { Redis } from 'ioredis';
import { LOBBY_EVENTS, LobbyService } from './lobby.service.js';

/**
 * The rooms service's RoomEventsPublisher: every room event still goes out as before, and
 * those that change the registry also mark the room for the next coalesced notice — one place
 * instead of a call beside every join, leave, kick, update and close.
 */
@Injectable()
export class LobbyTrackingPublisher extends RoomEventsPublisher {
  constructor(
    bus: CommandBus,
    redis: Redis,
    private readonly lobby: LobbyService,
  ) {
    super(bus, redis);
  }

  override async toRoom<E extends RoomEvent>(roomId: string, type: E, data: EventData<E>, opts: { excludeConnectionId?: string; onlyConnectionIds?: string[] } = {}): Promise<number> {
    const seq = await super.toRoom(roomId, type, data, opts);
    if (LOBBY_EVENTS.has(type)) this.lobby.touch(roomId);
    return seq;
  }
}
