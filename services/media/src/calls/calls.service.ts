import { Inject, Injectable } from '@nestjs/common';
import { Every, CONFIG, LOGGER, newId, RoomEventsPublisher, type Caller, type Logger } from '@switchboard/platform';
import { conflict, forbidden, notFound, ProtocolError, tooLarge, unavailable, type CommandData, type ConnGone } from '@switchboard/protocol';
import type { MediaConfig } from '../config.js';
import { MediaMetrics } from '../metrics/media.metrics.js';
import { RoomsClient } from '../rooms/rooms.client.js';
import { SfuAccess, type SfuGrant } from '../sfu/sfu.access.js';
import { CallLogStore } from './call-log.store.js';
import { CallsStore, connClaim, roomClaim, userClaim } from './calls.store.js';
import { outcomeOf, type CallLeg, type CallState, type EndReason } from './calls.view.js';

export interface CallReply {
  callId: string;
  sfu?: SfuGrant;
}

/** What one change of a call does: the next state (the same object: no change; null: it ends), the claims it takes and gives back. */
interface Transition {
  next: CallState | null;
  take?: string[];
  release?: string[];
  /** The error for a claim another call holds (default: busy). */
  taken?: (key: string, holder: string) => ProtocolError;
}

/** Re-reads after a lost compare-and-set; more than this many in a row means a storm of changes. */
const MAX_ATTEMPTS = 8;
/** Call keys outlive the longest call by this much, so only a dead cluster lets them expire. */
const KEY_MARGIN_MS = 10 * 60_000;

const busy = (message: string, details: Record<string, unknown> = {}) => conflict(message, { reason: 'busy', ...details });

/**
 * Calls in a room, P2P or through the SFU: ringing, answers, hang-ups, ring timeouts and legs
 * that vanish. State lives in Redis (CallsStore) so any replica serves any verb; events are room
 * events in the rooms' seq order; every call is kept in the Postgres call log.
 */
@Injectable()
export class CallsService {
  constructor(
    private readonly store: CallsStore,
    private readonly log: CallLogStore,
    private readonly rooms: RoomsClient,
    private readonly sfu: SfuAccess,
    private readonly events: RoomEventsPublisher,
    private readonly metrics: MediaMetrics,
    @Inject(CONFIG) private readonly config: MediaConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  private get ttlMs() {
    return this.config.CALL_MAX_DURATION_MS + this.config.CALL_RING_TIMEOUT_MS + KEY_MARGIN_MS;
  }

  async start(caller: Caller, data: CommandData<'call.start'>): Promise<CallReply> {
    await this.rooms.requireMember(data.roomId, caller.userId);
    const current = await this.liveHolder(roomClaim(data.roomId));
    if (current) return this.refuse('in_progress', conflict('this room has a call already', { reason: 'in_progress', callId: current }));
    if (await this.liveHolder(userClaim(caller.userId))) return this.refuse('busy', busy('you are in another call'));
    const callees = [...new Set((await this.rooms.participants(data.roomId)).map((p) => p.userId))].filter((u) => u !== caller.userId);
    if (!callees.length) return this.refuse('no_callee', conflict('nobody else is in the room to call', { reason: 'no_callee' }));
    if (callees.length > this.config.CALL_MAX_CALLEES) throw tooLarge(`a call rings at most ${this.config.CALL_MAX_CALLEES} users; this room has ${callees.length} others`);
    const holders = await Promise.all(callees.map((u) => this.liveHolder(userClaim(u))));
    const free = callees.filter((_, i) => !holders[i]);
    if (!free.length) return this.refuse('busy', busy('everyone you are calling is in another call', { userIds: callees }));
    const sfu = data.mode === 'sfu' ? await this.sfu.grant(caller, data.roomId) : undefined;

    const now = Date.now();
    const call: CallState = {
      id: newId('call'),
      roomId: data.roomId,
      mode: data.mode,
      media: data.media,
      state: 'ringing',
      callerId: caller.userId,
      callees: free,
      declined: [],
      legs: [this.legOf(caller, now)],
      startedAt: now,
      version: 1,
    };
    const created = await this.store.commit(null, call, { take: [roomClaim(call.roomId), userClaim(caller.userId), connClaim(caller.connectionId)] }, this.ttlMs);
    if (!created.ok) {
      if (created.why === 'taken' && created.key === roomClaim(call.roomId)) return this.refuse('in_progress', conflict('this room has a call already', { reason: 'in_progress', callId: created.holder }));
      return this.refuse('busy', busy('you are in another call'));
    }
    try {
      await this.log.started(call);
    } catch (err) {
      // Without its log row the call would be invisible to operators: undo it and say so.
      this.logger.error({ err, callId: call.id }, 'call log insert failed');
      await this.store.commit(call, null, { release: this.claimsOf(call) }, this.ttlMs);
      throw unavailable('the call log is unavailable; try again');
    }
    await this.store.deadlines.schedule(call.id, now + this.config.CALL_RING_TIMEOUT_MS);
    this.metrics.callsStarted.inc({ mode: call.mode });
    await this.events.toRoom(
      call.roomId,
      'call.incoming',
      { callId: call.id, from: { userId: caller.userId, connectionId: caller.connectionId, name: caller.name }, media: call.media, mode: call.mode, callees: call.callees, expiresAt: now + this.config.CALL_RING_TIMEOUT_MS },
      { excludeConnectionId: caller.connectionId },
    );
    return sfu ? { callId: call.id, sfu } : { callId: call.id };
  }

  async accept(caller: Caller, { callId }: CommandData<'call.accept'>): Promise<CallReply> {
    const first = await this.requireLiveCall(callId);
    if (first.callerId === caller.userId) throw forbidden('you started this call');
    if (!first.callees.includes(caller.userId)) throw forbidden('you were not called');
    await this.rooms.requireMember(first.roomId, caller.userId);
    const sfu = first.mode === 'sfu' ? await this.sfu.grant(caller, first.roomId) : undefined;
    const reply = sfu ? { callId, sfu } : { callId };

    const now = Date.now();
    const { call, next } = await this.transition(callId, (call) => {
      const mine = call.legs.find((l) => l.userId === caller.userId);
      if (mine && mine.connectionId !== caller.connectionId) throw conflict('you answered this call on another device', { reason: 'answered_elsewhere' });
      if (mine) return { next: call }; // a repeated accept: same answer, fresh grant
      return {
        next: { ...call, state: 'active', answeredAt: call.answeredAt ?? now, declined: call.declined.filter((u) => u !== caller.userId), legs: [...call.legs, this.legOf(caller, now)], version: call.version + 1 },
        take: [userClaim(caller.userId), connClaim(caller.connectionId)],
        taken: () => busy('you are in another call'),
      };
    });
    if (next === call) return reply;
    if (call.state === 'ringing') {
      await this.store.deadlines.schedule(callId, call.startedAt + this.config.CALL_MAX_DURATION_MS);
      this.metrics.ringSeconds.observe({ result: 'answered' }, (now - call.startedAt) / 1000);
    }
    await this.record('answer', () => this.log.answered(callId, caller.userId, now));
    await this.events.toRoom(call.roomId, 'call.accepted', { callId, userId: caller.userId, connectionId: caller.connectionId });
    return reply;
  }

  async decline(caller: Caller, { callId }: CommandData<'call.decline'>): Promise<Record<string, never>> {
    const first = await this.requireLiveCall(callId);
    if (first.callerId === caller.userId) throw forbidden('you started this call: use call.end');
    if (!first.callees.includes(caller.userId)) throw forbidden('you were not called');
    const now = Date.now();
    const { call, next } = await this.transition(callId, (call) => {
      if (call.legs.some((l) => l.userId === caller.userId)) throw forbidden('you answered this call: use call.end');
      if (call.declined.includes(caller.userId)) return { next: call };
      return { next: { ...call, declined: [...call.declined, caller.userId], version: call.version + 1 } };
    });
    if (next === call || !next) return {};
    await this.record('decline', () => this.log.declined(callId, caller.userId, now));
    await this.events.toRoom(call.roomId, 'call.declined', { callId, userId: caller.userId });
    // Nobody left to answer a call still ringing: it is over.
    if (next.state === 'ringing' && next.callees.every((u) => next.declined.includes(u))) await this.finish(callId, 'declined');
    return {};
  }

  async end(caller: Caller, { callId }: CommandData<'call.end'>): Promise<Record<string, never>> {
    const call = await this.requireLiveCall(callId);
    if (!call.legs.some((l) => l.userId === caller.userId)) throw forbidden('only the caller or a user who answered may end the call');
    if (!(await this.finish(callId, 'ended', caller.userId))) throw notFound('call not found (it ended already)');
    return {};
  }

  /** A connection is gone: if it is a call leg, the call ends after the grace unless the session resumes. */
  async connectionGone(gone: ConnGone): Promise<void> {
    if (await this.store.holder(connClaim(gone.connectionId))) await this.store.legsGone.schedule(gone.connectionId, Date.now() + this.config.DISCONNECT_GRACE_MS);
  }

  /**
   * Access to the room ended (rooms' `sb.sys.room.access`): a closed room ends its call
   * (`room_closed`); a kicked or banned user who is a leg of the room's call ends it (`removed`).
   */
  async accessEnded(roomId: string, userId?: string): Promise<boolean> {
    const callId = await this.store.holder(roomClaim(roomId));
    if (!callId) return false;
    if (!userId) return this.finish(callId, 'room_closed');
    return this.finish(callId, 'removed', userId, (c) => c.roomId === roomId && c.legs.some((l) => l.userId === userId));
  }

  /**
   * `session.resume` on a new connection: the user's leg made in that session moves to it (the
   * call survives), like the rooms' seats. Matching the user too means a guessed session id
   * cannot take over someone else's leg. Returns the calls kept.
   */
  async resume(caller: Pick<Caller, 'userId' | 'connectionId'>, sessionId: string): Promise<{ calls: string[] }> {
    const callId = await this.store.holder(userClaim(caller.userId));
    if (!callId) return { calls: [] };
    let moved: CallLeg | undefined;
    try {
      const { next } = await this.transition(callId, (call) => {
        moved = call.legs.find((l) => l.userId === caller.userId && l.sessionId === sessionId && l.connectionId !== caller.connectionId);
        if (!moved) return { next: call };
        const legs = call.legs.map((l) => (l === moved ? { ...l, connectionId: caller.connectionId } : l));
        return { next: { ...call, legs, version: call.version + 1 }, take: [connClaim(caller.connectionId)], release: [connClaim(moved.connectionId)] };
      });
      if (!moved || !next) return { calls: [] };
      await this.store.legsGone.cancel(moved.connectionId);
      await this.events.toRoom(next.roomId, 'call.reconnected', { callId, userId: caller.userId, connectionId: caller.connectionId, previousConnectionId: moved.connectionId });
      return { calls: [callId] };
    } catch (err) {
      if (err instanceof ProtocolError && err.code === 'not_found') return { calls: [] };
      throw err;
    }
  }

  /**
   * Ends a call once (whichever replica gets there first): claims released, timers cancelled,
   * log row completed, `call.ended` to the room. False when it had ended already.
   */
  async finish(callId: string, reason: EndReason, by?: string, onlyIf: (call: CallState) => boolean = () => true): Promise<boolean> {
    let outcome: { call: CallState; next: CallState | null };
    try {
      outcome = await this.transition(callId, (call) => (onlyIf(call) ? { next: null, release: this.claimsOf(call) } : { next: call }));
    } catch (err) {
      if (err instanceof ProtocolError && err.code === 'not_found') return false;
      throw err;
    }
    if (outcome.next) return false;
    const ended = outcome.call;
    const now = Date.now();
    await Promise.all([this.store.deadlines.cancel(callId), ...ended.legs.map((l) => this.store.legsGone.cancel(l.connectionId))]);
    const answered = ended.answeredAt !== undefined;
    if (!answered) this.metrics.ringSeconds.observe({ result: reason === 'timeout' || reason === 'declined' ? reason : 'cancelled' }, (now - ended.startedAt) / 1000);
    this.metrics.callsEnded.inc({ outcome: outcomeOf(reason, answered), reason });
    await this.record('end', () =>
      this.log.ended(callId, { endedAt: now, reason, outcome: outcomeOf(reason, answered), endedBy: by, durationMs: answered ? now - ended.answeredAt! : undefined }),
    );
    await this.events.toRoom(ended.roomId, 'call.ended', by ? { callId, reason, by } : { callId, reason });
    return true;
  }

  /** When a call times out: ringing for too long, or up for longer than the maximum duration. */
  private deadlineOf(call: CallState): number {
    return call.startedAt + (call.state === 'ringing' ? this.config.CALL_RING_TIMEOUT_MS : this.config.CALL_MAX_DURATION_MS);
  }

  /** Ring timeouts and calls over their maximum duration, on whichever replica claims them. */
  @Every('call-deadlines')
  private async expireDue(): Promise<void> {
    await this.store.deadlines.sweep(async (callId) => {
      // Checked again on the state finish() commits against: an accept that lands first wins.
      const expired = await this.finish(callId, 'timeout', undefined, (c) => Date.now() >= this.deadlineOf(c));
      const call = expired ? null : await this.store.get(callId);
      if (call) await this.store.deadlines.schedule(callId, this.deadlineOf(call));
    });
  }

  /** Legs whose connection vanished and did not resume within the grace end their call. */
  @Every('call-legs-gone')
  private async dropVanishedLegs(): Promise<void> {
    await this.store.legsGone.sweep(async (connectionId) => {
      const callId = await this.store.holder(connClaim(connectionId));
      if (!callId) return;
      const leg = (c: CallState) => c.legs.find((l) => l.connectionId === connectionId);
      const call = await this.store.get(callId);
      const user = call && leg(call)?.userId;
      if (user) await this.finish(callId, 'disconnected', user, (c) => !!leg(c));
    });
  }

  /** Reads the call, plans the change, compare-and-sets it; re-reads and plans again on a lost race. Returns the state before and after. */
  private async transition(callId: string, plan: (call: CallState) => Transition): Promise<{ call: CallState; next: CallState | null }> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const call = await this.requireCall(callId);
      const t = plan(call);
      if (t.next === call) return { call, next: call };
      const r = await this.store.commit(call, t.next, t, this.ttlMs);
      if (r.ok) return { call, next: t.next };
      if (r.why === 'taken') throw t.taken?.(r.key, r.holder) ?? busy('busy');
    }
    throw unavailable('the call is changing too fast; try again');
  }

  /**
   * The call a claim points at, if it is live. A call past its deadline is ended here, on first
   * sight: its timer may be held for up to SWEEP_LEASE_MS by a replica that died between
   * claiming it and acting (DueStore claims are leases), and it must not hold its room and users that long.
   */
  private async liveHolder(claim: string): Promise<string | null> {
    const callId = await this.store.holder(claim);
    return callId && (await this.expireIfLate(callId)) ? callId : null;
  }

  /** The call, unless it is gone or was past its deadline (then it ends now): `not_found`. */
  private async requireLiveCall(callId: string): Promise<CallState> {
    if (!(await this.expireIfLate(callId))) throw notFound('call not found (it ended or never existed)');
    return this.requireCall(callId);
  }

  /** True when the call is still live; a call past its deadline is ended with `timeout`. */
  private async expireIfLate(callId: string): Promise<boolean> {
    const call = await this.store.get(callId);
    if (!call) return false;
    if (Date.now() < this.deadlineOf(call)) return true;
    await this.finish(callId, 'timeout', undefined, (c) => Date.now() >= this.deadlineOf(c));
    return !!(await this.store.get(callId));
  }

  private async requireCall(callId: string): Promise<CallState> {
    const call = await this.store.get(callId);
    if (!call) throw notFound('call not found (it ended or never existed)');
    return call;
  }

  private legOf(caller: Caller, joinedAt: number): CallLeg {
    return { userId: caller.userId, connectionId: caller.connectionId, sessionId: caller.sessionId, joinedAt };
  }

  private claimsOf(call: CallState): string[] {
    return [roomClaim(call.roomId), ...call.legs.flatMap((l) => [userClaim(l.userId), connClaim(l.connectionId)])];
  }

  private refuse(reason: string, err: ProtocolError): never {
    this.metrics.callsRefused.inc({ reason });
    throw err;
  }

  /** Log writes after the start retry briefly; the call itself goes on (Redis is its truth), the failure is logged and counted. */
  private async record(op: string, write: () => Promise<void>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await write();
      } catch (err) {
        if (attempt >= 3) {
          this.metrics.callLogFailures.inc({ op });
          this.logger.error({ err, op }, 'call log write failed');
          return;
        }
        await new Promise((r) => setTimeout(r, 100 * attempt));
      }
    }
  }
}
