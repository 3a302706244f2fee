import { Injectable } from '@nestjs/common';
import { GrpcClients } from '../grpc-clients.js';
import type { ResultOf } from '../http/route.js';
import type { AdminRoutes } from '../routes.js';
import { toParticipantOut, toRoomOut } from './rooms.view.js';

/** Admin room operations, all through the rooms service's gRPC API. */
@Injectable()
export class AdminRoomsService {
  constructor(private readonly grpc: GrpcClients) {}

  async list(q: { cursor?: string; limit: number; includeClosed: boolean }): Promise<ResultOf<AdminRoutes['listRooms']>> {
    const page = await this.grpc.rooms((c) => c.listRooms, { cursor: q.cursor ?? '', limit: q.limit, includeClosed: q.includeClosed });
    return { rooms: page.rooms.map(toRoomOut), nextCursor: page.nextCursor || null };
  }

  async get(roomId: string): Promise<ResultOf<AdminRoutes['getRoom']>> {
    const res = await this.grpc.rooms((c) => c.getRoom, { roomId });
    return { room: toRoomOut(res.room!), participants: res.participants.map(toParticipantOut) };
  }

  async participants(roomId: string): Promise<ResultOf<AdminRoutes['listParticipants']>> {
    const res = await this.grpc.rooms((c) => c.listParticipants, { roomId });
    return { participants: res.participants.map(toParticipantOut) };
  }

  async close(roomId: string, actor: string): Promise<ResultOf<AdminRoutes['closeRoom']>> {
    await this.grpc.rooms((c) => c.closeRoom, { roomId, actor });
    return { roomId, closed: true };
  }

  async remove(roomId: string, userId: string, how: { ban: boolean; reason?: string; actor: string }): Promise<ResultOf<AdminRoutes['kickUser']>> {
    await this.grpc.rooms((c) => c.removeUser, { roomId, userId, reason: how.reason ?? '', ban: how.ban, actor: how.actor });
    return { roomId, userId, removed: how.ban ? 'banned' : 'kicked' };
  }
}
