import { z } from 'zod';
import { RoomsResumeRequest } from './system.js';

export const session = {
  ping: { service: 'gateway', doc: 'Application-level ping; replies `ping.ok` {ts}.', schema: z.object({}).optional() },
  'session.resume': {
    service: 'gateway',
    doc: 'Replays missed room events after a reconnect; `conflict` when they are no longer retained.',
    schema: RoomsResumeRequest,
  },
  'session.refresh': {
    service: 'gateway',
    doc: 'Hands the live connection a fresh token of the same user before the current one expires; replies {expiresAt}. `unauthorized` for an invalid token, `forbidden` for another user.',
    schema: z.object({ token: z.string().min(1).max(8192) }),
  },
} as const;
