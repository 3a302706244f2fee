import { Module, type DynamicModule } from '@nestjs/common';
import { PlatformModule, type Platform } from '@switchboard/platform';
import { AttestationHandler } from './attestation.handler.js';
import { BuildTokensService } from './build-tokens/build-tokens.service.js';
import { BuildTokensStore } from './build-tokens/build-tokens.store.js';
import { ChallengesService } from './challenges/challenges.service.js';
import { ChallengesStore } from './challenges/challenges.store.js';
import { prismaModule } from './db/prisma.provider.js';
import { DevicesService } from './devices/devices.service.js';
import { DevicesStore } from './devices/devices.store.js';
import { SigningKeys } from './keys/signing-keys.js';
import { AttestationMetrics } from './metrics/attestation.metrics.js';
import { PolicyService } from './policy/policy.service.js';
import { PolicyStore } from './policy/policy.store.js';
import { ReferencesService } from './references/references.service.js';
import { ReferencesStore } from './references/references.store.js';
import { ServersService } from './servers/servers.service.js';
import { ServersStore } from './servers/servers.store.js';

/** Attestation: build tokens, devices, reference binaries, challenge/verify, version policy, server registry (gRPC only). */
@Module({})
export class AppModule {
  static register(platform: Platform): DynamicModule {
    return {
      module: AppModule,
      imports: [PlatformModule.forPlatform(platform)],
      providers: [
        ...prismaModule,
        SigningKeys,
        AttestationMetrics,
        BuildTokensStore,
        BuildTokensService,
        DevicesStore,
        DevicesService,
        ReferencesStore,
        ReferencesService,
        ChallengesStore,
        ChallengesService,
        PolicyStore,
        PolicyService,
        ServersStore,
        ServersService,
        AttestationHandler,
      ],
    };
  }
}
