import { grpcServiceConfigSchema } from '@switchboard/platform';
import { z } from 'zod';

export const mediaConfigSchema = grpcServiceConfigSchema.extend({
  HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(9103),
  GRPC_PORT: z.coerce.number().int().min(0).max(65535).default(50053),
});

export type MediaConfig = z.infer<typeof mediaConfigSchema>;
