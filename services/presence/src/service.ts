import { startService, type ServiceOptions } from '@switchboard/platform';
import { AppModule } from './app.module.js';
import { presenceConfigSchema } from './config.js';

export const presenceService = (env?: Record<string, string | undefined>): ServiceOptions<typeof presenceConfigSchema> => ({
  service: 'presence',
  configSchema: presenceConfigSchema,
  env,
  redis: true,
  module: (p) => AppModule.register(p),
  grpc: () => [],
});

export const startPresence = (env?: Record<string, string | undefined>) => startService(presenceService(env));
