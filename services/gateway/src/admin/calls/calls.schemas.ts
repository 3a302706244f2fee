import { CALL_END_REASONS, CALL_OUTCOMES, Id } from '@switchboard/protocol';
import { z } from 'zod';

export const CallParams = z.object({ callId: Id });

const epochMs = z.coerce.number().int().min(0).max(8.64e15);

export const ListCallsQuery = z.object({
  roomId: Id.optional().describe('calls in this room'),
  userId: Id.optional().describe('calls this user made or was rung by'),
  from: epochMs.optional().describe('calls started at or after this time (milliseconds since the Unix epoch)'),
  to: epochMs.optional().describe('calls started before this time (milliseconds since the Unix epoch)'),
  outcome: z.enum([...CALL_OUTCOMES, 'ongoing']).optional().describe('how the call went, or `ongoing` for calls not ended yet'),
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

const at = (what: string) => z.number().int().nullable().describe(`${what} (milliseconds since the Unix epoch); null when not (yet)`);

export const CallPartySchema = z.object({
  userId: z.string(),
  role: z.enum(['caller', 'callee']),
  answeredAt: at('when this user answered'),
  declinedAt: at('when this user declined'),
});

/** One call of the media service's call log. */
export const CallSchema = z.object({
  id: z.string(),
  roomId: z.string(),
  callerId: z.string(),
  mode: z.enum(['p2p', 'sfu']),
  media: z.enum(['audio', 'video']),
  startedAt: z.number().int().describe('milliseconds since the Unix epoch'),
  answeredAt: at('first answer'),
  endedAt: at('end'),
  endReason: z.enum(CALL_END_REASONS).nullable().describe('the `call.ended` reason; null while the call is live'),
  outcome: z.enum(CALL_OUTCOMES).nullable().describe('null while the call is live'),
  endedBy: z.string().nullable().describe('who hung up or vanished; null for timeouts and declines'),
  durationMs: z.number().int().nullable().describe('talk time, answered → ended; null when nobody answered'),
  parties: z.array(CallPartySchema),
});

export const CallPage = z.object({ calls: z.array(CallSchema).describe('newest first'), nextCursor: z.string().nullable() });
export const CallDetail = z.object({ call: CallSchema });

export type CallOut = z.output<typeof CallSchema>;
