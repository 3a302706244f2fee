import { LOGGER, startService, type ServiceOptions } from '@switchboard/platform';
import { media } from '@switchboard/proto';
import { AppModule } from './app.module.js';
import { mediaConfigSchema } from './config.js';
import { MediaGrpcHandler } from './grpc.handler.js';

export const mediaService = (env?: Record<string, string | undefined>): ServiceOptions<typeof mediaConfigSchema> => ({
  service: 'media',
  configSchema: mediaConfigSchema,
  env,
  redis: true,
  module: (p) => AppModule.register(p),
  grpc: (app) => [{ name: 'switchboard.media.v1.MediaService', definition: media.MediaServiceService, implementation: app.get(MediaGrpcHandler).implementation(app.get(LOGGER)) }],
});

export const startMedia = (env?: Record<string, string | undefined>) => startService(mediaService(env));
