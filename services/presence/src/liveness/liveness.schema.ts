import { Id } from '@switchboard/protocol';
import { z } from 'zod';

/** Internal verbs gateways send; bodies follow switchboard.presence.v1.ReportLivenessRequest. */
export const LIVENESS_REPORT = 'liveness.report';

const MAX_BATCH = 10_000;

export const reportLivenessSchema = z.object({
  nodeId: Id,
  bootId: Id,
  opened: z
    .array(z.object({ connectionId: Id, userId: Id, sessionId: z.string().max(64).default(''), device: z.string().max(64).regex(/^[A-Za-z0-9_-]*$/).default(''), connectedAt: z.number().int().min(0) }))
    .max(MAX_BATCH)
    .default([]),
  closed: z.array(Id).max(MAX_BATCH).default([]),
  count: z.number().int().min(0),
  shutdown: z.boolean().default(false),
  held: z.array(Id).max(1_000_000).default([]),
  full: z.boolean().default(false),
});

export type ReportLiveness = z.output<typeof reportLivenessSchema>;
