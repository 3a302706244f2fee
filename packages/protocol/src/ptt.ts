import { z } from 'zod';
import { Id } from './common.js';
import { Empty } from './views.js';

/**
 * Push-to-talk audio over the gateway (docs/decisions/0053): the floor holder's Opus packets,
 * relayed to the room's members on its live subject and recorded by media as Ogg/Opus.
 */
export const PTT_LIMITS = {
  /** One `ptt.audio` packet (an Opus packet of up to 120 ms; libopus never emits more than 1275 bytes per 20 ms frame). */
  packetBytes: 4000,
} as const;

/** Why a talk spurt ended (`ptt.ended`). `limit`: it reached the talk's duration or size cap and the gateway released the floor. */
export const PTT_END_REASONS = ['released', 'timeout', 'disconnected', 'limit', 'left'] as const;
export type PttEndReason = (typeof PTT_END_REASONS)[number];

/**
 * Audio bytes: MessagePack `bin` on `switchboard.v1.msgpack` connections (no base64 anywhere on
 * the hot path), standard base64 text on JSON connections (docs/decisions/0053). Its size
 * (1 to PTT_LIMITS.packetBytes) is checked after decoding, so an oversize packet is `too_large`.
 */
export const AudioBytes = z.union([z.instanceof(Uint8Array), z.base64().min(4)]);

export const ptt = {
  'ptt.audio': {
    service: 'gateway',
    reply: Empty,
    doc:
      'One Opus packet of the caller\'s talk spurt (48 kHz; send it without `id`: no reply unless refused). Only the connection holding the floor (`floor.request` answers the `talkId`) may send; ' +
      '`seq` must increase within the talk. Anyone else is refused with `forbidden` and nothing is relayed. `data`: MessagePack `bin`, or base64 on JSON connections; at most 4000 bytes. ' +
      'Rate-capped per connection (`rate_limited`); a talk that reaches its duration or size cap ends (`ptt.ended` reason `limit`) and the floor is released.',
    schema: z.object({ roomId: Id, talkId: Id, seq: z.number().int().min(0).max(2 ** 31 - 1), data: AudioBytes }),
  },
} as const;
