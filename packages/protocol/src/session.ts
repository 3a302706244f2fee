import { z } from 'zod';
import { RoomsResumeRequest } from './system.js';

export const session = {
  ping: { service: 'gateway', reply: z.strictObject({ ts: z.number().int() }), doc: 'Application-level ping; replies `ping.ok` {ts}.', schema: z.object({}).optional() },
  'session.resume': {
    service: 'gateway', reply: z.strictObject({ replayed: z.number().int().min(0) }),
    doc: 'Replays missed room events after a reconnect; `conflict` when they are no longer retained.',
    schema: RoomsResumeRequest,
  },
} as const;
