import { Inject, Injectable } from '@nestjs/common';
import { CONFIG } from '@switchboard/platform';
import { conflict, CONNECTION_PROBE_EVENT, ProtocolError, RESUME_LOSS, type CommandData, type Reply, type ResumeLoss, type ResumeLossReason, type RoomsResumeReply } from '@switchboard/protocol';
import WebSocket from 'ws';
import type { GatewayConfig } from '../config.js';
import type { Connection } from '../connections/connection.js';
import { ConnectionRegistry } from '../connections/connection.registry.js';
import { GatewayMetrics } from '../metrics/gateway.metrics.js';
import { EventDelivery } from '../routing/event.delivery.js';
import { Command, InterceptEvent } from '../wiring/decorators.js';
import { redactSuperseded } from './replay.redaction.js';
import { replayBytes } from './room-history.store.js';
import { MediaResumeBatcher } from './media-resume.batcher.js';
import { RoomsResumeBatcher } from './rooms-resume.batcher.js';
import { RoomTailCache, type RoomTail } from './room-tail.cache.js';

/** A probe's pong wait is cut off here whatever the prober's own timeout (it has given up by then). */
const PROBE_GIVE_UP_MS = 10_000;

/**
 * `session.resume` on a new socket, on any replica: the rooms service moves the old
 * connection's seats to this one (within the disconnect grace), then the missed events are
 * replayed from JetStream in order, before any live event (those wait in the cursor).
 */
@Injectable()
export class ResumeService {
  constructor(
    private readonly registry: ConnectionRegistry,
    private readonly delivery: EventDelivery,
    private readonly tails: RoomTailCache,
    private readonly roomsResume: RoomsResumeBatcher,
    private readonly mediaResume: MediaResumeBatcher,
    @Inject(CONFIG) private readonly config: GatewayConfig,
    private readonly metrics: GatewayMetrics,
  ) {}

  /** `session.resume`, counted by outcome. */
  @Command('session.resume')
  async command(data: CommandData<'session.resume'>, conn: Connection): Promise<Reply<'session.resume'>> {
    try {
      const reply = await this.resume(conn, data);
      this.metrics.resumes.inc({ outcome: 'ok' });
      return reply;
    } catch (err) {
      this.metrics.resumes.inc({ outcome: err instanceof ProtocolError ? err.code : 'internal' });
      throw err;
    }
  }

  // Rooms asks before moving seats whether the session's old connection is still there.
  /**
   * A connection is alive when its client answers a WebSocket ping now: an open socket alone
   * proves nothing after a network drop (half-open until heartbeats notice). No pong means no
   * answer at all; the prober's timeout then counts the connection as gone.
   */
  @InterceptEvent(CONNECTION_PROBE_EVENT)
  probe(conn: Connection): string | Promise<string> {
    if (conn.closed || conn.ws.readyState !== WebSocket.OPEN) return 'not_found';
    return new Promise((resolve) => {
      const done = (verdict: string) => {
        clearTimeout(timer);
        conn.ws.off('pong', onPong);
        conn.ws.off('close', onClose);
        resolve(verdict);
      };
      const onPong = () => done('ok');
      const onClose = () => done('not_found');
      const timer = setTimeout(onClose, PROBE_GIVE_UP_MS);
      conn.ws.on('pong', onPong);
      conn.ws.on('close', onClose);
      conn.ws.ping();
    });
  }

  async resume(conn: Connection, data: CommandData<'session.resume'>): Promise<{ replayed: number }> {
    // Resume is for a session whose connection is gone, once per connection: never this
    // connection's own session, never twice (each call would replay history again).
    if (data.sessionId === conn.sessionId) throw conflict('this session is still connected: only a session whose connection is gone can be resumed', { reason: 'session_live' });
    if (conn.resumed) throw conflict('this connection has already resumed a session', { reason: 'already_resumed' });
    conn.resumed = true;
    const roomIds = Object.keys(data.rooms);
    // Subscribe first so that nothing published from here on is missed; events are held.
    const fresh = roomIds.filter((id) => !conn.rooms.has(id));
    for (const id of fresh) this.registry.beginJoin(conn, id);
    // The shared tails follow these rooms from before the seats move (ADR 0060).
    const followed = new Map<string, RoomTail | undefined>(roomIds.map((id) => [id, this.tails.follow(id)]));
    let reply: RoomsResumeReply;
    try {
      // The resumes of one event-loop turn share one request to rooms (ADR 0081); this one's
      // reply or typed error is its own, checked against the registry's schemas on both sides.
      reply = await this.roomsResume.resume(conn.caller(), data);
    } catch (err) {
      for (const id of fresh) this.registry.leaveRoom(conn, id);
      // Nothing moved: the client may try again on this connection.
      if (err instanceof ProtocolError && err.code === 'unavailable') conn.resumed = false;
      throw err;
    }
    // The media service moves the session's call leg to this connection (ADR 0007), once rooms
    // has agreed the session's connection is gone; if it cannot, the call ends after its grace,
    // but the rooms still resume. It runs beside the replay (its call.reconnected event is held
    // like any live one) and is awaited before the reply, so the leg has moved by resume.ok.
    // The resumes of one event-loop turn share one request to media (ADR 0070).
    const media = this.mediaResume.resume(conn.caller(), data.sessionId);
    try {
      return await this.replay(conn, data, reply, fresh, followed);
    } finally {
      await media;
    }
  }

  private async replay(conn: Connection, data: CommandData<'session.resume'>, reply: RoomsResumeReply, fresh: string[], followed: Map<string, RoomTail | undefined>): Promise<{ replayed: number }> {
    const roomIds = Object.keys(data.rooms);
    let replayed = 0;
    // One budget for the whole resume, all rooms together: a room that does not fit is refetched.
    let eventsLeft = this.config.RESUME_MAX_EVENTS;
    let bytesLeft = this.config.RESUME_MAX_BYTES;
    const lost: Record<string, ResumeLoss> = {};
    const lose = (roomId: string, reason: ResumeLossReason) => (lost[roomId] = { reason, action: RESUME_LOSS[reason] });
    for (const roomId of roomIds) {
      const state = reply.rooms[roomId];
      if (!state || state.status !== 'resumed') {
        lose(roomId, state?.reason ?? 'seat_expired');
        if (fresh.includes(roomId)) this.registry.leaveRoom(conn, roomId);
        continue;
      }
      // Never reach back to or before the seat's join: what was said before is not the user's to see.
      const lastSeq = Math.max(data.rooms[roomId], state.joinSeq ?? 0);
      // More missed than the budget allows: refetch, without reading the history at all.
      const overBudget = state.seq - lastSeq > eventsLeft;
      const events = overBudget ? null : await this.tails.since(followed.get(roomId), roomId, lastSeq, state.seq);
      const bytes = events?.reduce((n, e) => n + replayBytes(e), 0) ?? 0;
      if (events === null || events.length > eventsLeft || bytes > bytesLeft) {
        // Still seated, but the gap is gone from history (or over budget): start from now and say so.
        lose(roomId, events === null && !overBudget ? 'history_lost' : 'over_budget');
        if (fresh.includes(roomId)) this.delivery.joined(conn, roomId, state.seq);
        continue;
      }
      eventsLeft -= events.length;
      bytesLeft -= bytes;
      const previous = state.previousConnectionId;
      redactSuperseded(events);
      // The replay and the live events held meanwhile leave in one socket write.
      conn.corked(() => {
        for (const e of events) {
          if (previous && e.excludeConnectionId === previous) continue;
          if (e.onlyConnectionIds.length && previous && e.onlyConnectionIds.includes(previous)) e.onlyConnectionIds = [conn.id];
          this.delivery.emit(conn, e);
          replayed++;
        }
        const last = events.length ? events[events.length - 1].seq : lastSeq;
        if (fresh.includes(roomId)) this.delivery.joined(conn, roomId, last);
      });
    }
    const lostIds = Object.keys(lost);
    // Each room says why and what to do: rejoin (seat expired), refetch (history gone), or none.
    if (lostIds.length) throw conflict(`could not resume ${lostIds.length} room(s): see lost[roomId].action`, { rooms: lostIds, lost, replayed });
    return { replayed };
  }
}
