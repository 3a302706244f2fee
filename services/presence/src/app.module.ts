import { Module, type DynamicModule } from '@nestjs/common';
import { PlatformModule, type Platform } from '@switchboard/platform';
import { PresenceCommandsHandler } from './commands.handler.js';
import { LivenessHandler } from './liveness/liveness.handler.js';
import { LivenessService } from './liveness/liveness.service.js';
import { LivenessStore } from './liveness/liveness.store.js';
import { PresenceMetrics } from './metrics/presence.metrics.js';
import { PresenceGrpcHandler } from './grpc.handler.js';
import { PresenceHandler } from './presence/presence.handler.js';
import { PresenceService } from './presence/presence.service.js';
import { PresenceStore } from './presence/presence.store.js';
import { RelaysHandler } from './relays/relays.handler.js';
import { RelaysService } from './relays/relays.service.js';
import { RelaysStore } from './relays/relays.store.js';
import { RendezvousHandler } from './rendezvous/rendezvous.handler.js';
import { RendezvousService } from './rendezvous/rendezvous.service.js';
import { RendezvousStore } from './rendezvous/rendezvous.store.js';

@Module({})
export class AppModule {
  static register(platform: Platform): DynamicModule {
    return {
      module: AppModule,
      imports: [PlatformModule.forPlatform(platform)],
      providers: [
        PresenceMetrics,
        LivenessStore,
        LivenessService,
        LivenessHandler,
        PresenceStore,
        PresenceService,
        RelaysStore,
        RelaysService,
        RelaysHandler,
        RendezvousStore,
        RendezvousService,
        RendezvousHandler,
        PresenceHandler,
        PresenceGrpcHandler,
        PresenceCommandsHandler,
      ],
    };
  }
}
