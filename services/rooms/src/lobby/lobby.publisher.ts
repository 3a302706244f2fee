import { Inject, Injectable, Optional } from '@nestjs/common';
import { CommandBus, ROOM_EVENT_ACKS, RoomEventsPublisher, type StreamAcks } from '@switchboard/platform';
import type { EventData, RoomEvent } from '@switchboard/protocol';
import { Redis } from 'ioredis';
import { LobbyMarks } from './lobby.marks.js';
import { LOBBY_EVENTS } from './lobby.service.js';

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
    // Same index as in RoomEventsPublisher: Nest's parameter metadata is inherited by index.
    @Optional() @Inject(ROOM_EVENT_ACKS) acks: StreamAcks | undefined,
    private readonly lobby: LobbyMarks,
  ) {
    super(bus, redis, acks);
  }

  // Every room event passes here (toRoom takes its seq and calls publishAt).
  override async publishAt<E extends RoomEvent>(roomId: string, seq: number, type: E, data: EventData<E>, opts: { excludeConnectionId?: string; onlyConnectionIds?: string[] } = {}): Promise<number> {
    await super.publishAt(roomId, seq, type, data, opts);
    if (LOBBY_EVENTS.has(type)) this.lobby.touch(roomId);
    return seq;
  }
}
