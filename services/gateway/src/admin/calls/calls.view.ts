import type { media } from '@switchboard/proto';
import type { CallOut } from './calls.schemas.js';

/** gRPC's 0 / "" for "not (yet)" → null. */
const orNull = <T>(v: T): T | null => (v === 0 || v === '' ? null : v);

export function toCallOut(c: media.Call): CallOut {
  return {
    id: c.id,
    roomId: c.roomId,
    callerId: c.callerId,
    mode: c.mode as CallOut['mode'],
    media: c.media as CallOut['media'],
    startedAt: c.startedAt,
    answeredAt: orNull(c.answeredAt),
    endedAt: orNull(c.endedAt),
    endReason: orNull(c.endReason) as CallOut['endReason'],
    outcome: orNull(c.outcome) as CallOut['outcome'],
    endedBy: orNull(c.endedBy),
    // A call answered and ended within the same millisecond talked for 0 ms, not "never".
    durationMs: c.answeredAt && c.endedAt ? c.durationMs : null,
    parties: c.parties.map((p) => ({ userId: p.userId, role: p.role as 'caller' | 'callee', answeredAt: orNull(p.answeredAt), declinedAt: orNull(p.declinedAt) })),
  };
}
