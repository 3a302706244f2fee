import { Inject, Injectable } from '@nestjs/common';
import { Every, CONFIG, DueStore, RoomEventsPublisher, type Caller } from '@switchboard/platform';
import { badRequest, conflict, forbidden, ProtocolError, type CommandData } from '@switchboard/protocol';
import type { RoomsConfig } from '../config.js';
import { RoomsService } from '../rooms/rooms.service.js';
import { FLOOR_DUE, FloorStore, talkOf } from './floor.store.js';

/**
 * Push-to-talk: one speaker per group room, on a lease of FLOOR_TTL_MS that the holder
 * refreshes by asking again while talking; lapsed leases are released with `timeout`.
 */
@Injectable()
export class FloorService {
  constructor(
    private readonly rooms: RoomsService,
    private readonly store: FloorStore,
    private readonly due: DueStore,
    private readonly events: RoomEventsPublisher,
    @Inject(CONFIG) private readonly config: RoomsConfig,
  ) {}

  async request(caller: Caller, data: CommandData<'floor.request'>): Promise<{ expiresAt: number; talkId: string }> {
    const { room, participant } = await this.rooms.requireParticipant(data.roomId, caller);
    if (room.kind !== 'group') throw badRequest('floor control is for group rooms');
    if (participant.muted) throw forbidden('you are muted');
    const outcome = await this.store.request(room.id, caller.userId, caller.connectionId, this.config.FLOOR_TTL_MS);
    if (outcome.state === 'busy') throw new ProtocolError('floor_busy', 'someone else has the floor', { holder: outcome.holder.userId });
    // A lapsed lease the sweeper has not reached yet is announced before the new holder.
    if (outcome.displaced) await this.events.toRoom(room.id, 'floor.released', { userId: outcome.displaced.userId, reason: 'timeout', ...talkOf(outcome.displaced) });
    const { holder } = outcome;
    if (outcome.state === 'taken') {
      await this.events.toRoom(room.id, 'floor.taken', { userId: caller.userId, connectionId: caller.connectionId, talkId: holder.talkId, expiresAt: holder.expiresAt });
      this.rooms.accessChanged({ roomId: room.id, change: 'floor', userId: caller.userId });
    }
    return { expiresAt: holder.expiresAt, talkId: holder.talkId };
  }

  async release(caller: Caller, data: CommandData<'floor.release'>): Promise<Record<string, never>> {
    await this.rooms.openRoom(data.roomId);
    const released = await this.store.releaseIf(data.roomId, { userId: caller.userId });
    if (!released) throw conflict('you do not hold the floor');
    await this.events.toRoom(data.roomId, 'floor.released', { userId: caller.userId, reason: 'released', ...talkOf(released) });
    this.rooms.accessChanged({ roomId: data.roomId, change: 'floor' });
    return {};
  }

  @Every('floor')
  private async expire(): Promise<void> {
    const now = Date.now();
    await this.due.sweep(
      FLOOR_DUE,
      async (roomId) => {
        // Only a lease still lapsed goes: a refresh in between moved its due time on.
        const released = await this.store.releaseIf(roomId, { expiredAt: now });
        if (released) {
          await this.events.toRoom(roomId, 'floor.released', { userId: released.userId, reason: 'timeout', ...talkOf(released) });
          this.rooms.accessChanged({ roomId, change: 'floor' });
        } else {
          // Refreshed since: check again when the current lease ends (the due write is not atomic with it).
          const holder = await this.store.holder(roomId);
          if (holder) await this.due.schedule(FLOOR_DUE, roomId, holder.expiresAt);
        }
      },
      { now },
    );
  }
}
