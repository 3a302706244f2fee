import { Injectable } from '@nestjs/common';
import type { Connection } from '../connections/connection.js';
import { ConnectionRegistry } from '../connections/connection.registry.js';
import { EventDelivery } from '../routing/event.delivery.js';

interface JoinReply {
  room?: { id: string };
  seq?: number;
}

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

  async wrap(conn: Connection, type: string, data: unknown, send: () => Promise<unknown>): Promise<unknown> {
    switch (type) {
      case 'room.join': {
        const roomId = (data as { roomId: string }).roomId;
        const fresh = !conn.rooms.has(roomId);
        if (fresh) this.registry.beginJoin(conn, roomId);
        try {
          const reply = (await send()) as JoinReply;
          if (fresh) this.delivery.joined(conn, roomId, reply.seq ?? 0);
          return reply;
        } catch (err) {
          if (fresh) this.registry.leaveRoom(conn, roomId);
          throw err;
        }
      }
      case 'room.create': {
        // A new room's id is unknown to anyone else until this reply, so nothing can be missed.
        const reply = (await send()) as JoinReply;
        if (reply.room?.id) {
          this.registry.beginJoin(conn, reply.room.id);
          this.delivery.joined(conn, reply.room.id, reply.seq ?? 0);
        }
        return reply;
      }
      case 'room.leave': {
        const reply = await send();
        this.registry.leaveRoom(conn, (data as { roomId: string }).roomId);
        return reply;
      }
      default:
        return send();
    }
  }
}
