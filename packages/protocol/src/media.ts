import { z } from 'zod';
import { Id } from './common.js';

const CallRef = z.object({ callId: Id });

export const media = {
  'call.start': {
    service: 'media',
    doc: 'Starts a call in a room; members get `call.incoming`.',
    schema: z.object({ roomId: Id, media: z.enum(['audio', 'video']), mode: z.enum(['p2p', 'sfu']) }),
  },
  'call.accept': { service: 'media', doc: 'Accepts a call (SFU mode returns a LiveKit token).', schema: CallRef },
  'call.decline': { service: 'media', doc: 'Declines a call.', schema: CallRef },
  'call.end': { service: 'media', doc: 'Ends a call.', schema: CallRef },
  'media.token': { service: 'media', doc: 'A LiveKit token with grants following the member role.', schema: z.object({ roomId: Id }) },
  'ice.servers': { service: 'media', doc: 'STUN plus fresh TURN credentials.', schema: z.object({}).optional() },
} as const;
