import { Module, type DynamicModule } from '@nestjs/common';
import { PlatformModule, type Platform } from '@switchboard/platform';
import { PresenceCommandsHandler } from './commands.handler.js';
import { PresenceGrpcHandler } from './grpc.handler.js';
import { LivenessModule } from './liveness/liveness.module.js';
import { PresenceModule } from './presence/presence.module.js';
import { RelaysModule } from './relays/relays.module.js';
import { RendezvousModule } from './rendezvous/rendezvous.module.js';

/** Presence: one module per domain (exporting its service); the root holds only the NATS and gRPC entries. */
@Module({})
export class AppModule {
  static register(platform: Platform): DynamicModule {
    return {
      module: AppModule,
      imports: [PlatformModule.forPlatform(platform), LivenessModule, PresenceModule, RelaysModule, RendezvousModule],
      providers: [PresenceGrpcHandler, PresenceCommandsHandler],
    };
  }
}
