import { Inject, Injectable } from '@nestjs/common';
import { Every, CommandBus, CONFIG, RoomEventsPublisher, type Caller } from '@switchboard/platform';
import { conflict, ProtocolError, type ConnGone, type RoomsResumeReply, type RoomsResumeRequest } from '@switchboard/protocol';
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
export class SessionsService {
  constructor(
    private readonly store: SessionsStore,
    private readonly participants: ParticipantsStore,
    private readonly rooms: RoomsService,
    private readonly floor: FloorStore,
    private readonly events: RoomEventsPublisher,
    private readonly bus: CommandBus,
    @Inject(CONFIG) private readonly config: RoomsConfig,
  ) {}

  async connectionGone(gone: ConnGone): Promise<void> {
    await this.store.scheduleRemoval(gone.connectionId, Date.now() + this.config.DISCONNECT_GRACE_MS);
  }

  /**
   * Moves the seats of (user, session) to the caller's connection, only when the connection
   * holding them is gone: a live session (including the caller's own) is never taken over,
   * so resume cannot be used to replay a live connection's rooms over and over.
   */
  async resume(caller: Caller, data: RoomsResumeRequest): Promise<RoomsResumeReply> {
    const holders = new Set<string>();
    for (const roomId of Object.keys(data.rooms)) {
      for (const p of await this.participants.ofUser(roomId, caller.userId)) if (p.sessionId === data.sessionId) holders.add(p.connectionId);
    }
    for (const connectionId of holders) {
      if (connectionId === caller.connectionId || (await this.bus.connectionAlive(connectionId, this.config.RESUME_PROBE_TIMEOUT_MS))) {
        throw conflict('this session is still connected: only a session whose connection is gone can be resumed', { reason: 'session_live' });
      }
    }
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
      out[roomId] = moved ? { status: 'resumed', seq, previousConnectionId: moved.previousConnectionId, joinSeq: moved.participant.joinSeq ?? seq } : { status: 'gone', seq, reason: await this.whyGone(roomId, caller.userId) };
    }
    // An old connection with no rooms left has nothing to remove any more.
    for (const connectionId of previous) {
      if (!(await this.participants.roomsOfConnection(connectionId)).length) await this.store.cancelRemoval(connectionId);
    }
    return { rooms: out };
  }

  /** Why a seat of the session is not there: the user can rejoin a room they still belong to. */
  private async whyGone(roomId: string, userId: string): Promise<'seat_expired' | 'not_member' | 'room_closed'> {
    try {
      return (await this.rooms.requireMember(roomId, userId)) ? 'seat_expired' : 'not_member';
    } catch (err) {
      return err instanceof ProtocolError && err.code === 'not_found' ? 'room_closed' : 'not_member';
    }
  }

  @Every('disconnects')
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
