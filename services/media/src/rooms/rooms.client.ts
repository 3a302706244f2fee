import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { callUnary, CONFIG, grpcClient, grpcClientMetrics, Registry, type GrpcCallRecorder } from '@switchboard/platform';
import { rooms } from '@switchboard/proto';
import { forbidden } from '@switchboard/protocol';
import type { MediaConfig } from '../config.js';

/**
 * The rooms service over gRPC: who is a member of a room and who is in it now. The channel
 * opens on first use and closes on shutdown; calls carry REQUEST_TIMEOUT_MS as their deadline,
 * and a rooms service that is down surfaces as `unavailable`.
 * Calls are counted and timed (switchboard_grpc_client_*).
 */
@Injectable()
export class RoomsClient implements OnApplicationShutdown {
  private client?: rooms.RoomsServiceClient;

  private readonly metrics: GrpcCallRecorder;

  constructor(@Inject(CONFIG) private readonly config: MediaConfig, @Inject(Registry) registry: Registry) {
    this.metrics = grpcClientMetrics(registry);
  }

  /** The user's membership; `not_found` for a closed or unknown room, `forbidden` for non-members and banned users. */
  async requireMember(roomId: string, userId: string): Promise<rooms.CheckMembershipResponse> {
    const m = await this.membership(roomId, userId);
    if (!m.member || m.banned) throw forbidden('only members of the room may do this');
    return m;
  }

  /** The user's membership as the rooms service sees it (`not_found` for a closed or unknown room). */
  membership(roomId: string, userId: string): Promise<rooms.CheckMembershipResponse> {
    return this.call((c) => c.checkMembership, { roomId, userId });
  }

  async participants(roomId: string): Promise<rooms.Participant[]> {
    return (await this.call((c) => c.listParticipants, { roomId })).participants;
  }

  /** Stores a recorded talk and posts it as the speaker's voice message (idempotent per talk). */
  postVoiceMessage(req: rooms.PostVoiceMessageRequest): Promise<rooms.PostVoiceMessageResponse> {
    return this.call((c) => c.postVoiceMessage, req);
  }

  onApplicationShutdown(): void {
    this.client?.close();
    this.client = undefined;
  }

  private call<Req, Res>(method: (c: rooms.RoomsServiceClient) => Parameters<typeof callUnary<Req, Res>>[1], req: Req): Promise<Res> {
    const client = (this.client ??= grpcClient(rooms.RoomsServiceClient, this.config.ROOMS_GRPC_URL, this.config.GRPC_AUTH_SECRET, this.metrics));
    return callUnary(client, method(client), req, this.config.REQUEST_TIMEOUT_MS);
  }
}
