import type * as proto from '@switchboard/proto';
import { badRequest, type CallEndReason as EndReason, type CallOutcome } from '@switchboard/protocol';

export type { CallOutcome, EndReason };
export type CallMode = 'p2p' | 'sfu';
export type CallMedia = 'audio' | 'video';

/** One connection taking part in a call: the caller's, then each accepting callee's. */
export interface CallLeg {
  userId: string;
  connectionId: string;
  /** The gateway session the leg was made in; `session.resume` of it moves the leg. */
  sessionId: string;
  joinedAt: number;
}

/** A live call as kept in Redis (calls.store.ts); `version` guards every change. */
export interface CallState {
  id: string;
  roomId: string;
  mode: CallMode;
  media: CallMedia;
  state: 'ringing' | 'active';
  callerId: string;
  /** Users rung (the room's other participants when the call started). */
  callees: string[];
  declined: string[];
  legs: CallLeg[];
  startedAt: number;
  answeredAt?: number;
  version: number;
}

/** Answered calls completed whatever ended them; unanswered ones are named by why they stopped ringing. */
export function outcomeOf(reason: EndReason, answered: boolean): CallOutcome {
  if (answered) return 'completed';
  return ({ timeout: 'missed', declined: 'declined', busy: 'busy', ended: 'cancelled', disconnected: 'cancelled', room_closed: 'cancelled', removed: 'cancelled' } as const)[reason];
}

/** Cursor of the call log's order (started_at desc, id desc): opaque to clients. */
export function encodeCursor(startedAt: number, id: string): string {
  return Buffer.from(`${startedAt}:${id}`).toString('base64url');
}

export function decodeCursor(cursor: string): { startedAt: number; id: string } {
  const [at, id] = Buffer.from(cursor, 'base64url').toString('utf8').split(':');
  const startedAt = Number(at);
  if (!id || !Number.isSafeInteger(startedAt) || startedAt < 0 || id.length > 64) throw badRequest('cursor is not valid');
  return { startedAt, id };
}

interface CallRow {
  id: string;
  roomId: string;
  callerId: string;
  mode: string;
  media: string;
  startedAt: Date;
  answeredAt: Date | null;
  endedAt: Date | null;
  endReason: string | null;
  outcome: string | null;
  endedBy: string | null;
  durationMs: number | null;
  parties: { userId: string; role: string; answeredAt: Date | null; declinedAt: Date | null }[];
}

const ms = (d: Date | null) => d?.getTime() ?? 0;

/** A call log row (with its parties) → the gRPC message; absent times and texts are 0 / "". */
export function toProtoCall(row: CallRow): proto.media.Call {
  return {
    id: row.id,
    roomId: row.roomId,
    callerId: row.callerId,
    mode: row.mode,
    media: row.media,
    startedAt: ms(row.startedAt),
    answeredAt: ms(row.answeredAt),
    endedAt: ms(row.endedAt),
    endReason: row.endReason ?? '',
    outcome: row.outcome ?? '',
    endedBy: row.endedBy ?? '',
    durationMs: row.durationMs ?? 0,
    parties: row.parties.map((p) => ({ userId: p.userId, role: p.role, answeredAt: ms(p.answeredAt), declinedAt: ms(p.declinedAt) })),
  };
}
