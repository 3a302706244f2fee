import { Injectable } from '@nestjs/common';
import { GrpcClients } from '../grpc-clients.js';
import type { ResultOf } from '../http/route.js';
import type { AdminRoutes } from '../routes.js';

/** A room's attachments in object storage, through the rooms service's gRPC API. */
@Injectable()
export class AdminAttachmentsService {
  constructor(private readonly grpc: GrpcClients) {}

  async list(roomId: string, limit: number, cursor?: string): Promise<ResultOf<AdminRoutes['listAttachments']>> {
    const res = await this.grpc.rooms((c) => c.listAttachments, { roomId, limit, cursor: cursor ?? '' });
    return {
      attachments: res.attachments.map(({ createdAtMs, messageId, ...a }) => ({ ...a, messageId: messageId || null, createdAt: createdAtMs })),
      nextCursor: res.nextCursor || null,
      usage: res.usage ?? { bytes: 0, objects: 0 },
    };
  }

  async usage(roomId: string): Promise<ResultOf<AdminRoutes['roomStorage']>> {
    const res = await this.grpc.rooms((c) => c.listAttachments, { roomId, limit: 1, cursor: '' });
    return res.usage ?? { bytes: 0, objects: 0 };
  }

  async remove(roomId: string, attachmentId: string): Promise<ResultOf<AdminRoutes['deleteAttachment']>> {
    await this.grpc.rooms((c) => c.deleteAttachment, { roomId, attachmentId });
    return { deleted: true };
  }
}
