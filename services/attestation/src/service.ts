import { LOGGER, startService, type ServiceOptions } from '@switchboard/platform';
import { attestation } from '@switchboard/proto';
import { AppModule } from './app.module.js';
import { AttestationHandler } from './attestation.handler.js';
import { attestationConfigSchema } from './config.js';

export const attestationService = (env?: Record<string, string | undefined>): ServiceOptions<typeof attestationConfigSchema> => ({
  service: 'attestation',
  configSchema: attestationConfigSchema,
  env,
  redis: true,
  module: (p) => AppModule.register(p),
  grpc: (app) => [
    { name: 'switchboard.attestation.v1.AttestationService', definition: attestation.AttestationServiceService, implementation: app.get(AttestationHandler).grpc(app.get(LOGGER)) },
  ],
});

export const startAttestation = (env?: Record<string, string | undefined>) => startService(attestationService(env));
