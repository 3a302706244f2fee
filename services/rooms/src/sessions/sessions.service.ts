import { Inject, Injectable } from '@nestjs/common';
import { Every, CommandBus, CONFIG, LOGGER, RoomEventsPublisher, toProtocolError, type Caller, type Logger } from '@switchboard/platform';
import { conflict, ProtocolError, type ConnGone, type RoomResumeState, type RoomsResumeBatch, type RoomsResumeBatchReply, type RoomsResumeReply, type RoomsResumeRequest } from '@switchboard/protocol';
import type { RoomsConfig } from '../config.js';
import type { LiveParticipant } from '../rooms/participants.store.js';
import { RoomSeats } from '../rooms/room-seats.service.js';
import { RoomsService } from '../rooms/rooms.service.js';
import { toParticipantView } from '../rooms/rooms.view.js';
import { SessionsStore } from './sessions.store.js';

/** Who resumes: the user and new connection, and the gateway node holding it. */
type ResumeCaller = Pick<Caller, 'userId' | 'connectionId' | 'nodeId'>;

const sessionLive = () => conflict('this session is still connected: only a session whose connection is gone can be resumed', { reason: 'session_live' });

/**
 * Connections that vanish keep their seats for DISCONNECT_GRACE_MS, so a client resuming its
 * session on a new connection (any gateway) keeps its rooms; after that they leave with
 * reason `disconnected` and lose a floor they held.
 */
@Injectable()
export class SessionsService {
  constructor(
    private readonly store: SessionsStore,
    private readonly participants: RoomSeats,
    private readonly rooms: RoomsService,
    private readonly events: RoomEventsPublisher,
    private readonly bus: CommandBus,
    @Inject(CONFIG) private readonly config: RoomsConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async connectionGone(gone: ConnGone): Promise<void> {
    await this.store.scheduleRemoval(gone.connectionId, Date.now() + this.config.DISCONNECT_GRACE_MS);
  }

  /**
   * Moves the seats of (user, session) to the caller's connection, only when the connection
   * holding them is gone: a live session (including the caller's own) is never taken over,
   * so resume cannot be used to replay a live connection's rooms over and over.
   */
  resume(caller: ResumeCaller, data: RoomsResumeRequest): Promise<RoomsResumeReply> {
    return this.resumeWith(caller, data, (roomId) => this.participants.list(roomId));
  }

  /**
   * `session.resume` for every resume one gateway received in one event-loop turn (ADR 0081),
   * all at once: each entry exactly as its own `session.resume`, answered with its reply or its
   * typed error (one failing entry fails no other). Entries naming the same room share one read
   * of its seats: reads of one instant, as concurrent requests could have made them.
   */
  async resumeBatch(nodeId: string, resumes: RoomsResumeBatch['resumes']): Promise<RoomsResumeBatchReply['results']> {
    const seats = new Map<string, Promise<LiveParticipant[]>>();
    const list = (roomId: string) => {
      let read = seats.get(roomId);
      if (!read) seats.set(roomId, (read = this.participants.list(roomId)));
      return read;
    };
    return Promise.all(
      resumes.map(({ userId, connectionId, ...data }) =>
        this.resumeWith({ userId, connectionId, nodeId }, data, list).then(
          (ok) => ({ ok }),
          (err: unknown) => {
            // As the bus would answer the entry's own request: typed errors as they are, the rest `internal` (logged).
            const pe = toProtocolError(err);
            if (pe.code === 'internal') this.logger.error({ err, connectionId }, 'session.resume of a batch failed');
            return { error: { code: pe.code, message: pe.message, ...(pe.details && { details: pe.details }) } };
          },
        ),
      ),
    );
  }

  private async resumeWith(caller: ResumeCaller, data: RoomsResumeRequest, list: (roomId: string) => Promise<LiveParticipant[]>): Promise<RoomsResumeReply> {
    const roomIds = Object.keys(data.rooms);
    // Every room at once, here and below: one client's rooms cost one round of Redis commands
    // (concurrent commands share a write, ADR 0022), not one round per room (ADR 0060).
    const seats = await Promise.all(roomIds.map(async (roomId) => (await list(roomId)).filter((p) => p.userId === caller.userId && p.sessionId === data.sessionId)));
    const holders = new Set(seats.flat().map((p) => p.connectionId));
    if (holders.has(caller.connectionId)) throw sessionLive();
    const alive = await Promise.all([...holders].map((connectionId) => this.bus.connectionAlive(connectionId, this.config.RESUME_PROBE_TIMEOUT_MS)));
    if (alive.includes(true)) throw sessionLive();
    const states = await Promise.all(
      roomIds.map(async (roomId, i): Promise<RoomResumeState> => {
        // No seat of this session here (and none can appear: its connection is gone): no move to try.
        const moved = seats[i].length ? await this.participants.resume(roomId, caller.userId, data.sessionId, caller.connectionId, caller.nodeId) : undefined;
        if (!moved) return { status: 'gone', seq: await this.events.currentSeq(roomId), reason: await this.whyGone(roomId, caller.userId) };
        // The seat, its floor lease and this event's seq moved in one script (ADR 0070). The reply's
        // seq is this event's: the replay covers up to it, and every later event was published after
        // the gateway subscribed the new connection (before it asked), so it arrives live.
        // The old connection's index entry is cleaned while the event is stored (ADR 0096).
        await Promise.all([
          this.events.publishAt(roomId, moved.seq, 'room.participant_updated', { participant: toParticipantView(moved.participant), previousConnectionId: moved.previousConnectionId }),
          moved.oldIndexRemoved,
        ]);
        // A seat from before joinSeq was recorded replays nothing older than now.
        return { status: 'resumed', seq: moved.seq, previousConnectionId: moved.previousConnectionId, joinSeq: moved.participant.joinSeq ?? moved.seq };
      }),
    );
    // The old connection's pending removal (if conn.gone came first) is left to its sweep, which
    // finds no seats left in the rooms moved here (ADR 0070): after a gateway dies, conn.gone
    // only comes after the presence TTL, so cancelling here was two round trips for nothing.
    return { rooms: Object.fromEntries(roomIds.map((roomId, i) => [roomId, states[i]])) };
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
