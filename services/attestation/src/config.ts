import { grpcServiceConfigSchema } from '@switchboard/platform';
import { z } from 'zod';

export const attestationConfigSchema = grpcServiceConfigSchema.extend({
  HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(9104),
  GRPC_PORT: z.coerce.number().int().min(0).max(65535).default(50054),
});

export type AttestationConfig = z.infer<typeof attestationConfigSchema>;
