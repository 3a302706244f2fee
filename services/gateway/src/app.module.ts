import { Module, type DynamicModule } from '@nestjs/common';
import { PlatformModule, type Platform } from '@switchboard/platform';
import { AdminModule } from './admin/admin.module.js';
import { AttestationModule } from './attestation/attestation.module.js';
import { CommandsModule } from './commands/commands.module.js';
import { EphemeralModule } from './ephemeral/ephemeral.module.js';
import { LobbyModule } from './lobby/lobby.module.js';
import { PresenceModule } from './presence/presence.module.js';
import { PttModule } from './ptt/ptt.module.js';
import { SessionModule } from './session/session.module.js';
import { SignalingModule } from './signaling/signaling.module.js';
import { WiringModule } from './wiring/wiring.module.js';
import { WsModule } from './ws/ws.module.js';

/**
 * Gateway: one module per folder, each exporting its services (never a store), below them the
 * connection core (metrics, subscriptions, connections, routing, commands) and shared platform
 * pieces (ADR 0075). GatewayWiring (WiringModule) finds the decorated methods of every module
 * at boot (ADR 0040), so domains import only what they call.
 */
@Module({})
export class AppModule {
  static register(platform: Platform): DynamicModule {
    return {
      module: AppModule,
      imports: [
        PlatformModule.forPlatform(platform),
        CommandsModule,
        WiringModule,
        WsModule,
        SessionModule,
        PresenceModule,
        LobbyModule,
        SignalingModule,
        PttModule,
        EphemeralModule,
        AttestationModule,
        AdminModule,
      ],
    };
  }
}
