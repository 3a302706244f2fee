import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { JoinReply } from '@switchboard/protocol';
import type { Connection } from '../connections/connection.js';
import { ConnectionRegistry } from '../connections/connection.registry.js';
import { EventDelivery } from '../routing/event.delivery.js';
import { CommandHooks } from './command.hooks.js';

/**
 * Keeps the replica's room interest in step with the commands that change it: subscribe
 * before a join goes out (so nothing is missed), settle the cursor from the reply's seq,
 * and let go on leave or failure.
 */
@Injectable()
export class RoomLifecycle implements OnModuleInit {
  constructor(
    private readonly hooks: CommandHooks,
    private readonly registry: ConnectionRegistry,
    private readonly delivery: EventDelivery,
  ) {}

  onModuleInit() {
    this.hooks.register('room.join', (conn, data, send) => this.join(conn, data.roomId, send));
    this.hooks.register('room.create', (conn, _data, send) => this.create(conn, send));
    this.hooks.register('room.leave', async (conn, data, send) => {
      const reply = await send();
      this.registry.leaveRoom(conn, data.roomId);
      return reply;
    });
  }

  private async join(conn: Connection, roomId: string, send: () => Promise<JoinReply>): Promise<JoinReply> {
    const fresh = !conn.rooms.has(roomId);
    if (fresh) this.registry.beginJoin(conn, roomId);
    try {
      const reply = await send();
      if (fresh) this.delivery.joined(conn, roomId, reply.seq);
      return reply;
    } catch (err) {
      if (fresh) this.registry.leaveRoom(conn, roomId);
      throw err;
    }
  }

  /** A new room's id is unknown to anyone else until this reply, so nothing can be missed. */
  private async create(conn: Connection, send: () => Promise<JoinReply>): Promise<JoinReply> {
    const reply = await send();
    this.registry.beginJoin(conn, reply.room.id);
    this.delivery.joined(conn, reply.room.id, reply.seq);
    return reply;
  }
}
