import { Id } from '@switchboard/protocol';
import { z } from 'zod';

/** A LiveKit identity: `<userId>:<connectionId>` (ADR 0005). */
const Identity = z.string().regex(/^[A-Za-z0-9_-]{1,64}:[A-Za-z0-9_-]{1,64}$/, 'must be <userId>:<connectionId>');

export const SfuParticipantParams = z.object({ roomId: Id, identity: Identity });

export const SfuTrackSchema = z.object({
  trackSid: z.string(),
  kind: z.enum(['audio', 'video', 'data', 'unknown']),
  source: z.string().describe('LiveKit track source: camera, microphone, screen_share, …'),
  muted: z.boolean(),
});

export const SfuParticipantSchema = z.object({
  identity: z.string(),
  participantSid: z.string(),
  userId: z.string(),
  connectionId: z.string(),
  name: z.string(),
  joinedAt: z.number().int().describe('milliseconds since the Unix epoch'),
  canPublish: z.boolean(),
  tracks: z.array(SfuTrackSchema),
});

export const SfuParticipantList = z.object({ participants: z.array(SfuParticipantSchema) });
export const SfuMuteBody = z.object({ muted: z.boolean().default(true).describe('true: mute every published track and revoke publishing; false: allow publishing again') });
export const SfuMuted = z.object({ tracksMuted: z.number().int() });
export const SfuRemoved = z.object({ removed: z.literal(true) });
