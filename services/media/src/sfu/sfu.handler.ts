import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap, type OnModuleInit } from '@nestjs/common';
import { Every, CommandBus, CONFIG, LOGGER, Readiness, Redis, onSystemEvent, type Logger, type Subscription, type Caller } from '@switchboard/platform';
import type * as proto from '@switchboard/proto';
import { badRequest, Id, RoomAccessChange, type CommandData } from '@switchboard/protocol';
import { livekitSettings, type MediaConfig } from '../config.js';
import { SfuAccess } from './sfu.access.js';
import { SfuService } from './sfu.service.js';
import { Command } from '../command.js';

/** Held by the replica that reconciles, so one replica per interval does it. */
const RECONCILE_LOCK = 'sb:media:sfu:reconcile_lock';

/**
 * Entry points of the SFU domain: `media.token`, rooms' `sb.sys.room.access` notices (one media
 * replica each), the SFU part of the gRPC API (admin), and the reconcile pass (once at start,
 * then by one replica per LIVEKIT_RECONCILE_INTERVAL_MS).
 */
@Injectable()
export class SfuHandler implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown {
  private sub?: Subscription;

  constructor(
    private readonly bus: CommandBus,
    private readonly access: SfuAccess,
    private readonly sfu: SfuService,
    private readonly redis: Redis,
    private readonly readiness: Readiness,
    @Inject(CONFIG) private readonly config: MediaConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @Command('media.token')
  token(data: CommandData<'media.token'>, caller: Caller) {
    return this.access.grant(caller, data.roomId);
  }

  onModuleInit() {
    const settings = livekitSettings(this.config);
    // Readiness names the SFU state; the service stays ready without it (P2P, TURN and chunks work).
    const state = settings ? `livekit ${settings.url}` : `no SFU: ${this.config.LIVEKIT_UNAVAILABLE_REASON ?? 'LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET are not set'}`;
    this.readiness.note('sfu', state);
  }

  onApplicationBootstrap() {
    this.sub = onSystemEvent(this.bus, 'media', 'room.access', RoomAccessChange, (change) => this.sfu.accessChanged(change), this.logger);
    // After a restart: webhooks missed while no replica listened leave no ghosts.
    void this.sfu.reconcile().catch((err) => this.logger.warn({ err }, 'reconcile at start failed'));
  }

  async beforeApplicationShutdown() {
    await this.sub?.drain();
  }

  @Every('sfu-reconcile')
  private async reconcileIfMine(): Promise<void> {
    if (!livekitSettings(this.config)) return; // no SFU to reconcile
    if ((await this.redis.set(RECONCILE_LOCK, this.config.NODE_ID, 'PX', this.config.LIVEKIT_RECONCILE_INTERVAL_MS, 'NX')) !== 'OK') return;
    await this.sfu.reconcile();
  }

  grpc() {
    return {
      mintToken: async (req: proto.media.MintTokenRequest): Promise<proto.media.MintTokenResponse> => {
        for (const [name, id] of [['roomId', req.roomId], ['userId', req.userId]] as const) if (!Id.safeParse(id).success) throw badRequest(`${name} must match [A-Za-z0-9_-]{1,64}`);
        const grant = await this.access.grant({ userId: req.userId, connectionId: 'admin', sessionId: '', nodeId: '', name: req.name || req.userId, device: '', roles: [] }, req.roomId);
        return { url: grant.url, token: grant.token, expiresAt: grant.expiresAt };
      },
      listSfuParticipants: (req: proto.media.ListSfuParticipantsRequest) => this.sfu.list(req.roomId),
      muteSfuParticipant: (req: proto.media.MuteSfuParticipantRequest) => this.sfu.adminMute(req.roomId, req.identity, req.muted),
      removeSfuParticipant: (req: proto.media.RemoveSfuParticipantRequest) => this.sfu.adminRemove(req.roomId, req.identity),
    };
  }
}
