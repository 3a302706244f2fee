import { grpcServiceConfigSchema } from '@switchboard/platform';
import { z } from 'zod';

export const presenceConfigSchema = grpcServiceConfigSchema.extend({
  HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(9102),
  GRPC_PORT: z.coerce.number().int().min(0).max(65535).default(50052),
});

export type PresenceConfig = z.infer<typeof presenceConfigSchema>;
