import { Module } from '@nestjs/common';
import { GrpcClientsModule } from '../admin/grpc-clients.module.js';
import { GatewayPlatformModule } from '../platform.module.js';
import { AttestationPolicyCache } from './policy.cache.js';
import { PublicRateStore } from './public-rate.store.js';
import { PublicAttestationController } from './public.controller.js';
import { ServerRegistration } from './server.registration.js';

/** App attestation at the gateway: the policy cache the upgrade checks, the public routes, this server's registration. */
@Module({
  imports: [GrpcClientsModule, GatewayPlatformModule],
  controllers: [PublicAttestationController],
  providers: [AttestationPolicyCache, PublicRateStore, ServerRegistration],
  exports: [AttestationPolicyCache, ServerRegistration],
})
export class AttestationModule {}
