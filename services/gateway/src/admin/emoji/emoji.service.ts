import { Injectable } from '@nestjs/common';
import { GrpcClients } from '../grpc-clients.js';
import type { ResultOf } from '../http/route.js';
import type { AdminRoutes } from '../routes.js';

/** A room's custom emoji, through the rooms service's gRPC API. */
@Injectable()
export class AdminEmojiService {
  constructor(private readonly grpc: GrpcClients) {}

  async list(roomId: string): Promise<ResultOf<AdminRoutes['listEmoji']>> {
    const res = await this.grpc.rooms((c) => c.listEmoji, { roomId });
    return { emoji: res.emoji.map(({ createdAtMs, ...e }) => ({ ...e, createdAt: createdAtMs })) };
  }

  async remove(roomId: string, name: string): Promise<ResultOf<AdminRoutes['deleteEmoji']>> {
    await this.grpc.rooms((c) => c.deleteEmoji, { roomId, name });
    return { deleted: true };
  }
}
