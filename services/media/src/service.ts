import { startService, type ServiceOptions } from '@switchboard/platform';
import { AppModule } from './app.module.js';
import { mediaConfigSchema } from './config.js';

export const mediaService = (env?: Record<string, string | undefined>): ServiceOptions<typeof mediaConfigSchema> => ({
  service: 'media',
  configSchema: mediaConfigSchema,
  env,
  redis: true,
  module: (p) => AppModule.register(p),
  grpc: () => [],
});

export const startMedia = (env?: Record<string, string | undefined>) => startService(mediaService(env));
