import { Injectable } from '@nestjs/common';
import type { CommandData, JoinReply, Reply } from '@switchboard/protocol';
import type { Connection } from '../connections/connection.js';
import { ConnectionRegistry } from '../connections/connection.registry.js';
import { EventDelivery } from '../routing/event.delivery.js';
import { subscribeFirst } from '../routing/subscribe-first.js';
import { BeforeForward } from '../wiring/decorators.js';

/**
 * Keeps the replica's room interest in step with the commands that change it: subscribe
 * before a join goes out (so nothing is missed), settle the cursor from the reply's seq,
 * and let go on leave or failure.
 */
@Injectable()
export class RoomLifecycle {
  constructor(
    private readonly registry: ConnectionRegistry,
    private readonly delivery: EventDelivery,
  ) {}

  @BeforeForward('room.join')
  async join({ roomId }: CommandData<'room.join'>, conn: Connection, send: () => Promise<JoinReply>): Promise<JoinReply> {
    const fresh = !conn.rooms.has(roomId);
    const reply = await subscribeFirst(() => {
      if (!fresh) return () => undefined;
      this.registry.beginJoin(conn, roomId);
      return () => this.registry.leaveRoom(conn, roomId);
    }, send);
    // Before the held events: a `room.updated` among them is newer than the reply.
    this.learnReplay(conn, roomId, reply.room.replayEphemeral, fresh);
    if (fresh) this.delivery.joined(conn, roomId, reply.seq);
    return reply;
  }

  @BeforeForward('room.leave')
  async leave({ roomId }: CommandData<'room.leave'>, conn: Connection, send: () => Promise<Reply<'room.leave'>>): Promise<Reply<'room.leave'>> {
    const reply = await send();
    this.registry.leaveRoom(conn, roomId);
    return reply;
  }

  /** A new room's id is unknown to anyone else until this reply, so nothing can be missed. */
  @BeforeForward('room.create')
  async create(_data: CommandData<'room.create'>, conn: Connection, send: () => Promise<JoinReply>): Promise<JoinReply> {
    const reply = await send();
    this.registry.beginJoin(conn, reply.room.id);
    this.learnReplay(conn, reply.room.id, reply.room.replayEphemeral, true);
    this.delivery.joined(conn, reply.room.id, reply.seq);
    return reply;
  }

  /**
   * What a join reply tells about the seat, for broadcasts answered by this replica (ADR 0062):
   * rooms confirmed it just now, and the room's replay flag. A repeated join only fills a missing
   * flag: a `room.updated` handled meanwhile may be newer than its reply.
   */
  private learnReplay(conn: Connection, roomId: string, replayEphemeral: boolean, fresh: boolean): void {
    const cursor = conn.rooms.get(roomId);
    if (!cursor) return;
    cursor.seatConfirmedAt = Date.now();
    if (fresh || cursor.replayEphemeral === undefined) cursor.replayEphemeral = replayEphemeral;
  }
}
