import { startService, type ServiceOptions } from '@switchboard/platform';
import { AppModule } from './app.module.js';
import { attestationConfigSchema } from './config.js';

export const attestationService = (env?: Record<string, string | undefined>): ServiceOptions<typeof attestationConfigSchema> => ({
  service: 'attestation',
  configSchema: attestationConfigSchema,
  env,
  redis: true,
  module: (p) => AppModule.register(p),
  grpc: () => [],
});

export const startAttestation = (env?: Record<string, string | undefined>) => startService(attestationService(env));
