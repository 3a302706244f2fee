import { z } from 'zod';
import { Id } from './common.js';

export const session = {
  ping: { service: 'gateway', doc: 'Application-level ping; replies `ping.ok` {ts}.', schema: z.object({}).optional() },
  'session.resume': {
    service: 'gateway',
    doc: 'Replays missed room events after a reconnect; `conflict` when they are no longer retained.',
    schema: z.object({
      sessionId: z.string().min(1).max(64),
      rooms: z.record(Id, z.number().int().min(0)).refine((r) => Object.keys(r).length <= 100, 'at most 100 rooms'),
    }),
  },
} as const;
