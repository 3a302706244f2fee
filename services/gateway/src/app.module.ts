import { Module, type DynamicModule } from '@nestjs/common';
import { DueStore, PlatformModule, RoomEventsPublisher, WindowCounter, type Platform } from '@switchboard/platform';
import { ADMIN_CONTROLLERS, ADMIN_PROVIDERS } from './admin/admin.providers.js';
import { PublicAttestationController } from './attestation/public.controller.js';
import { AttestationPolicyCache } from './attestation/policy.cache.js';
import { PublicRateStore } from './attestation/public-rate.store.js';
import { ServerRegistration } from './attestation/server.registration.js';
import { TokenVerifier } from './auth/token.verifier.js';
import { CommandHooks } from './commands/command.hooks.js';
import { CommandRouter } from './commands/command.router.js';
import { LocalCommands } from './commands/local.commands.js';
import { RoomLifecycle } from './commands/room.lifecycle.js';
import { ConnectionRegistry } from './connections/connection.registry.js';
import { GatewayMetrics } from './metrics/gateway.metrics.js';
import { PresenceInterest } from './presence/presence.interest.js';
import { LobbyService } from './lobby/lobby.service.js';
import { PresenceReporter } from './presence/presence.reporter.js';
import { EventDelivery } from './routing/event.delivery.js';
import { Subscriptions } from './routing/subscriptions.js';
import { ResumeService } from './session/resume.service.js';
import { RoomHistoryStore } from './session/room-history.store.js';
import { IceServersCache } from './session/ice-servers.cache.js';
import { MediaResumeBatcher } from './session/media-resume.batcher.js';
import { RoomTailCache } from './session/room-tail.cache.js';
import { SessionService } from './session/session.service.js';
import { PairingStore } from './signaling/pairing.store.js';
import { UserConnectionsStore } from './connections/user-connections.store.js';
import { SignalingHandler } from './signaling/signaling.handler.js';
import { SignalingService } from './signaling/signaling.service.js';
import { GatewayWiring } from './wiring/gateway.wiring.js';
import { ClientGateway } from './ws/client.gateway.js';
import { PttMetrics } from './ptt/ptt.metrics.js';
import { PttService } from './ptt/ptt.service.js';
import { EphemeralService } from './ephemeral/ephemeral.service.js';

@Module({})
export class AppModule {
  static register(platform: Platform): DynamicModule {
    return {
      module: AppModule,
      imports: [PlatformModule.forPlatform(platform)],
      controllers: [...ADMIN_CONTROLLERS, PublicAttestationController],
      providers: [
        GatewayMetrics,
        TokenVerifier,
        Subscriptions,
        ConnectionRegistry,
        EventDelivery,
        LocalCommands,
        CommandHooks,
        RoomLifecycle,
        PresenceInterest,
        LobbyService,
        PresenceReporter,
        CommandRouter,
        IceServersCache,
        SessionService,
        RoomHistoryStore,
        RoomTailCache,
        MediaResumeBatcher,
        ResumeService,
        PairingStore,
        WindowCounter,
        UserConnectionsStore,
        SignalingService,
        SignalingHandler,
        ClientGateway,
        GatewayWiring,
        PttMetrics,
        PttService,
        RoomEventsPublisher,
        DueStore,
        EphemeralService,
        ...ADMIN_PROVIDERS,
        AttestationPolicyCache,
        PublicRateStore,
        ServerRegistration,
      ],
    };
  }
}
