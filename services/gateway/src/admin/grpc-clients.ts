import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { callUnary, CONFIG, grpcClient, grpcClientMetrics, Registry, type GrpcCallRecorder } from '@switchboard/platform';
import { attestation, media, presence, rooms } from '@switchboard/proto';
import type { GatewayConfig } from '../config.js';

type Method<Req, Res> = Parameters<typeof callUnary<Req, Res>>[1];

/**
 * gRPC clients of the services the admin API manages: each channel is opened on first use,
 * shared by all requests and closed on shutdown. Calls carry REQUEST_TIMEOUT_MS as their
 * deadline; failures arrive as ProtocolErrors (a service that is down → `unavailable`).
 * Every call is counted and timed (switchboard_grpc_client_*).
 */
@Injectable()
export class GrpcClients implements OnApplicationShutdown {
  private roomsClient?: rooms.RoomsServiceClient;
  private presenceClient?: presence.PresenceServiceClient;
  private mediaClient?: media.MediaServiceClient;
  private attestationClient?: attestation.AttestationServiceClient;

  private readonly metrics: GrpcCallRecorder;

  constructor(@Inject(CONFIG) private readonly config: GatewayConfig, @Inject(Registry) registry: Registry) {
    this.metrics = grpcClientMetrics(registry);
  }

  /** A RoomsService call, e.g. `rooms((c) => c.getRoom, { roomId })`. */
  rooms<Req, Res>(method: (c: rooms.RoomsServiceClient) => Method<Req, Res>, req: Req): Promise<Res> {
    const client = (this.roomsClient ??= grpcClient(rooms.RoomsServiceClient, this.config.ROOMS_GRPC_URL, this.config.GRPC_AUTH_SECRET, this.metrics));
    return callUnary(client, method(client), req, this.config.REQUEST_TIMEOUT_MS);
  }

  /** A PresenceService call, e.g. `presence((c) => c.listConnections, { userId })`. */
  presence<Req, Res>(method: (c: presence.PresenceServiceClient) => Method<Req, Res>, req: Req): Promise<Res> {
    const client = (this.presenceClient ??= grpcClient(presence.PresenceServiceClient, this.config.PRESENCE_GRPC_URL, this.config.GRPC_AUTH_SECRET, this.metrics));
    return callUnary(client, method(client), req, this.config.REQUEST_TIMEOUT_MS);
  }

  /** A MediaService call, e.g. `media((c) => c.listCalls, req)`. */
  media<Req, Res>(method: (c: media.MediaServiceClient) => Method<Req, Res>, req: Req): Promise<Res> {
    const client = (this.mediaClient ??= grpcClient(media.MediaServiceClient, this.config.MEDIA_GRPC_URL, this.config.GRPC_AUTH_SECRET, this.metrics));
    return callUnary(client, method(client), req, this.config.REQUEST_TIMEOUT_MS);
  }

  /** An AttestationService call, e.g. `attestation((c) => c.getPolicies, {})`. */
  attestation<Req, Res>(method: (c: attestation.AttestationServiceClient) => Method<Req, Res>, req: Req): Promise<Res> {
    const client = this.attestationRaw();
    return callUnary(client, method(client), req, this.config.REQUEST_TIMEOUT_MS);
  }

  /** The AttestationService client itself, for the streamed reference upload. */
  attestationRaw(): attestation.AttestationServiceClient {
    return (this.attestationClient ??= grpcClient(attestation.AttestationServiceClient, this.config.ATTESTATION_GRPC_URL, this.config.GRPC_AUTH_SECRET, this.metrics));
  }

  onApplicationShutdown(): void {
    this.roomsClient?.close();
    this.presenceClient?.close();
    this.mediaClient?.close();
    this.attestationClient?.close();
    this.roomsClient = this.presenceClient = this.mediaClient = this.attestationClient = undefined;
  }
}
