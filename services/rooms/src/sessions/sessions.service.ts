import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { CONFIG, RoomEventsPublisher, Sweeper, type Caller } from '@switchboard/platform';
import type { ConnGone, RoomsResumeReply, RoomsResumeRequest } from '@switchboard/protocol';
import type { RoomsConfig } from '../config.js';
import { FloorStore } from '../floor/floor.store.js';
import { ParticipantsStore } from '../rooms/participants.store.js';
import { RoomsService } from '../rooms/rooms.service.js';
import { toParticipantView } from '../rooms/rooms.view.js';
import { SessionsStore } from './sessions.store.js';

/**
 * Connections that vanish keep their seats for DISCONNECT_GRACE_MS, so a client resuming its
 * session on a new connection (any gateway) keeps its rooms; after that they leave with
 * reason `disconnected` and lose a floor they held.
 */
@Injectable()
export class SessionsService implements OnModuleInit {
  constructor(
    private readonly store: SessionsStore,
    private readonly participants: ParticipantsStore,
    private readonly rooms: RoomsService,
    private readonly floor: FloorStore,
    private readonly events: RoomEventsPublisher,
    private readonly sweeper: Sweeper,
    @Inject(CONFIG) private readonly config: RoomsConfig,
  ) {}

  onModuleInit() {
    this.sweeper.register('disconnects', () => this.removeDue());
  }

  async connectionGone(gone: ConnGone): Promise<void> {
    await this.store.scheduleRemoval(gone.connectionId, Date.now() + this.config.DISCONNECT_GRACE_MS);
  }

  async resume(caller: Caller, data: RoomsResumeRequest): Promise<RoomsResumeReply> {
    const out: RoomsResumeReply['rooms'] = {};
    const previous = new Set<string>();
    for (const roomId of Object.keys(data.rooms)) {
      const moved = await this.participants.resume(roomId, caller.userId, data.sessionId, caller.connectionId, caller.nodeId);
      if (moved) {
        previous.add(moved.previousConnectionId);
        await this.floor.moveHolder(roomId, moved.previousConnectionId, caller.connectionId);
        await this.events.toRoom(roomId, 'room.participant_updated', { participant: toParticipantView(moved.participant), previousConnectionId: moved.previousConnectionId });
      }
      const seq = await this.events.currentSeq(roomId);
      // A seat from before joinSeq was recorded replays nothing older than now.
      out[roomId] = moved ? { status: 'resumed', seq, previousConnectionId: moved.previousConnectionId, joinSeq: moved.participant.joinSeq ?? seq } : { status: 'gone', seq };
    }
    // An old connection with no rooms left has nothing to remove any more.
    for (const connectionId of previous) {
      if (!(await this.participants.roomsOfConnection(connectionId)).length) await this.store.cancelRemoval(connectionId);
    }
    return { rooms: out };
  }

  private async removeDue(): Promise<void> {
    // Idempotent: a connection handed out again (its first remover died) has nothing left to remove.
    await this.store.sweepDueRemovals(async (connectionId) => {
      for (const roomId of await this.participants.roomsOfConnection(connectionId)) {
        const removed = await this.participants.remove(roomId, connectionId);
        if (removed) await this.rooms.depart(roomId, [removed], 'disconnected');
      }
    });
  }
}
