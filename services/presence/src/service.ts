import { LOGGER, startService, type ServiceOptions } from '@switchboard/platform';
import { presence } from '@switchboard/proto';
import { AppModule } from './app.module.js';
import { presenceConfigSchema } from './config.js';
import { PresenceGrpcHandler } from './grpc.handler.js';

/** Presence service definition, shared by main.ts and in-process integration tests. */
export const presenceService = (env?: Record<string, string | undefined>): ServiceOptions<typeof presenceConfigSchema> => ({
  service: 'presence',
  configSchema: presenceConfigSchema,
  env,
  redis: true,
  module: (p) => AppModule.register(p),
  grpc: (app) => [
    { name: 'switchboard.presence.v1.PresenceService', definition: presence.PresenceServiceService, implementation: app.get(PresenceGrpcHandler).implementation(app.get(LOGGER)) },
  ],
});

export const startPresence = (env?: Record<string, string | undefined>) => startService(presenceService(env));
