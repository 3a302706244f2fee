import { Injectable } from '@nestjs/common';
import { GrpcClients } from '../grpc-clients.js';
import type { ResultOf } from '../http/route.js';
import type { AdminRoutes } from '../routes.js';

/** A room's LiveKit session, through the media service's gRPC API. */
@Injectable()
export class AdminSfuService {
  constructor(private readonly grpc: GrpcClients) {}

  async list(roomId: string): Promise<ResultOf<AdminRoutes['listSfuParticipants']>> {
    const res = await this.grpc.media((c) => c.listSfuParticipants, { roomId });
    return { participants: res.participants.map((p) => ({ ...p, tracks: p.tracks.map((t) => ({ ...t, kind: t.kind as 'audio' | 'video' | 'data' | 'unknown' })) })) };
  }

  mute(roomId: string, identity: string, muted: boolean): Promise<ResultOf<AdminRoutes['muteSfuParticipant']>> {
    return this.grpc.media((c) => c.muteSfuParticipant, { roomId, identity, muted });
  }

  async remove(roomId: string, identity: string): Promise<ResultOf<AdminRoutes['removeSfuParticipant']>> {
    await this.grpc.media((c) => c.removeSfuParticipant, { roomId, identity });
    return { removed: true };
  }
}
