import { z } from 'zod';
import { ERROR_CODES } from './errors.js';

/**
 * The envelopes of what the server writes to a client socket (docs/protocol.intro.md,
 * "Envelope"): a reply, an error, or an event. The `data` inside each is checked against the
 * registry (COMMANDS reply, EVENTS schema) by `checkServerFrame` in contracts.ts.
 */

/** A client id as echoed in `re`: 1 to 64 characters (longer ids are refused without `re`). */
const Re = z.string().min(1).max(64);

export const ReplyFrameSchema = z.strictObject({ re: Re, type: z.string().endsWith('.ok'), data: z.unknown() });

/** `error`: the code and message, plus verb-specific details as further fields (`holder`, `reason`). */
export const ErrorBodySchema = z.looseObject({ code: z.enum(ERROR_CODES), message: z.string(), retryAfterMs: z.number().int().positive().optional() });

export const ErrorFrameSchema = z.strictObject({ re: Re.optional(), type: z.literal('error'), error: ErrorBodySchema });

/** `seq` only on a room's ordered stream; `room` names the room of a room or live event. */
export const EventFrameSchema = z.strictObject({
  type: z.string().min(1),
  room: z.string().min(1).optional(),
  seq: z.number().int().positive().optional(),
  ts: z.number().int().nonnegative(),
  data: z.unknown(),
});
