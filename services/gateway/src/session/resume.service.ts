import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { CommandBus, LOGGER, type Logger } from '@switchboard/platform';
import { conflict, ProtocolError, RoomsResumeReply, type CommandData } from '@switchboard/protocol';
import { LocalCommands } from '../commands/local.commands.js';
import type { Connection } from '../connections/connection.js';
import { ConnectionRegistry } from '../connections/connection.registry.js';
import { EventDelivery } from '../routing/event.delivery.js';
import { redactSuperseded } from './replay.redaction.js';
import { RoomHistoryStore } from './room-history.store.js';

/**
 * `session.resume` on a new socket, on any replica: the rooms service moves the old
 * connection's seats to this one (within the disconnect grace), then the missed events are
 * replayed from JetStream in order, before any live event (those wait in the cursor).
 */
@Injectable()
export class ResumeService implements OnModuleInit {
  constructor(
    private readonly bus: CommandBus,
    private readonly local: LocalCommands,
    private readonly registry: ConnectionRegistry,
    private readonly delivery: EventDelivery,
    private readonly history: RoomHistoryStore,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit() {
    this.local.register('session.resume', (conn, data) => this.resume(conn, data));
  }

  async resume(conn: Connection, data: CommandData<'session.resume'>): Promise<{ replayed: number }> {
    const roomIds = Object.keys(data.rooms);
    // Subscribe first so that nothing published from here on is missed; events are held.
    const fresh = roomIds.filter((id) => !conn.rooms.has(id));
    for (const id of fresh) this.registry.beginJoin(conn, id);
    // The media service moves the session's call leg to this connection (ADR 0007), in parallel;
    // if it cannot, the call ends after its grace, but the rooms still resume.
    const calls = this.bus.request('media', 'session.resume', conn.caller(), { sessionId: data.sessionId }).catch((err: Error) => {
      this.logger.warn({ err: err.message, connectionId: conn.id }, 'media session.resume failed');
    });
    let reply: RoomsResumeReply;
    try {
      const parsed = RoomsResumeReply.safeParse(await this.bus.request('rooms', 'session.resume', conn.caller(), data));
      if (!parsed.success) {
        this.logger.error({ issues: parsed.error.issues.slice(0, 5) }, 'rooms session.resume reply breaks its schema');
        throw new ProtocolError('internal', 'internal error');
      }
      reply = parsed.data;
    } catch (err) {
      for (const id of fresh) this.registry.leaveRoom(conn, id);
      throw err;
    } finally {
      await calls;
    }
    let replayed = 0;
    const lost: string[] = [];
    for (const roomId of roomIds) {
      const state = reply.rooms?.[roomId];
      if (!state || state.status !== 'resumed') {
        lost.push(roomId);
        if (fresh.includes(roomId)) this.registry.leaveRoom(conn, roomId);
        continue;
      }
      // Never reach back to or before the seat's join: what was said before is not the user's to see.
      const lastSeq = Math.max(data.rooms[roomId], state.joinSeq ?? 0);
      const events = await this.history.since(roomId, lastSeq, state.seq);
      if (events === null) {
        // Still seated, but the gap is gone from history: start from now and say so.
        lost.push(roomId);
        if (fresh.includes(roomId)) this.delivery.joined(conn, roomId, state.seq);
        continue;
      }
      const previous = state.previousConnectionId;
      redactSuperseded(events);
      for (const e of events) {
        if (previous && e.excludeConnectionId === previous) continue;
        if (e.onlyConnectionIds.length && previous && e.onlyConnectionIds.includes(previous)) e.onlyConnectionIds = [conn.id];
        this.delivery.emit(conn, e);
        replayed++;
      }
      const last = events.length ? events[events.length - 1].seq : lastSeq;
      if (fresh.includes(roomId)) this.delivery.joined(conn, roomId, last);
    }
    if (lost.length) throw conflict(`could not resume ${lost.length} room(s): refetch their state`, { rooms: lost, replayed });
    return { replayed };
  }
}
