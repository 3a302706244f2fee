import { Registry, type Caller } from '@switchboard/platform';
import { ProtocolError } from '@switchboard/protocol';
import { describe, expect, it } from 'vitest';
import { MediaMetrics } from '../metrics/media.metrics.js';
import { CallsService } from './calls.service.js';
import { connClaim, roomClaim, userClaim, type CommitResult } from './calls.store.js';
import type { CallState } from './calls.view.js';

/**
 * CallsService's refusals and failure paths on a scripted store, log and room client (calls.spec.ts
 * proves the flows on real Redis, Postgres, NATS and two replicas; calls.store.ts's Lua is proven there).
 * The fake store keeps the commit script's rules: version compare-and-set, claims held by another
 * call refuse the whole write, released claims are dropped only if this call holds them.
 */
class FakeCallsStore {
  readonly calls = new Map<string, CallState>();
  readonly claims = new Map<string, string>();
  readonly due = { deadlines: new Map<string, number>(), legsGone: new Map<string, number>() };
  readonly deadlines = this.timers(this.due.deadlines);
  readonly legsGone = this.timers(this.due.legsGone);
  /** Runs before a commit is applied: a rival replica's write landing first. */
  beforeCommit?: (prev: CallState | null, next: CallState | null) => void;

  private timers(set: Map<string, number>) {
    return {
      schedule: async (member: string, at: number) => void set.set(member, at),
      cancel: async (member: string) => void set.delete(member),
      sweep: async (handle: (member: string) => Promise<unknown>) => {
        const due = [...set].filter(([, at]) => at <= Date.now()).map(([m]) => m);
        for (const m of due) {
          set.delete(m);
          await handle(m);
        }
        return due.length;
      },
    };
  }

  // Copies, as JSON from Redis would be: a plan's `next === call` means "no change".
  async get(id: string): Promise<CallState | null> {
    const c = this.calls.get(id);
    return c ? structuredClone(c) : null;
  }

  async holder(claim: string): Promise<string | null> {
    return this.claims.get(claim) ?? null;
  }

  async commit(prev: CallState | null, next: CallState | null, claims: { take?: string[]; release?: string[] }): Promise<CommitResult> {
    this.beforeCommit?.(prev, next);
    const id = (next ?? prev)!.id;
    const cur = this.calls.get(id);
    if (!prev && cur) return { ok: false, why: 'stale' };
    if (prev && !cur) return { ok: false, why: 'gone' };
    if (prev && cur!.version !== prev.version) return { ok: false, why: 'stale' };
    for (const key of claims.take ?? []) {
      const holder = this.claims.get(key);
      if (holder && holder !== id) return { ok: false, why: 'taken', key, holder };
    }
    for (const key of claims.take ?? []) this.claims.set(key, id);
    for (const key of claims.release ?? []) if (this.claims.get(key) === id) this.claims.delete(key);
    if (next) this.calls.set(id, structuredClone(next));
    else this.calls.delete(id);
    return { ok: true };
  }

  /** Puts a live call (and its claims) in place, as another replica would have. */
  seed(call: CallState): CallState {
    this.calls.set(call.id, structuredClone(call));
    this.claims.set(roomClaim(call.roomId), call.id);
    for (const l of call.legs) {
      this.claims.set(userClaim(l.userId), call.id);
      this.claims.set(connClaim(l.connectionId), call.id);
    }
    return call;
  }
}

const config = { CALL_RING_TIMEOUT_MS: 30_000, CALL_MAX_DURATION_MS: 3_600_000, CALL_MAX_CALLEES: 3, DISCONNECT_GRACE_MS: 15_000 };
const caller = (userId: string, connectionId = `c_${userId}`): Caller => ({ userId, connectionId, sessionId: `s_${connectionId}`, nodeId: 'n1', name: userId, device: '', roles: [] });

function setup(opts: { participants?: string[]; log?: Partial<Record<'started' | 'answered' | 'declined' | 'ended', () => Promise<void>>> } = {}) {
  const store = new FakeCallsStore();
  const registry = new Registry();
  const metrics = new MediaMetrics(registry);
  const events: { roomId: string; type: string; data: Record<string, unknown> }[] = [];
  const errors: { obj: Record<string, unknown>; msg: string }[] = [];
  const written: string[] = [];
  const ok = (op: string) => async () => void written.push(op);
  const log = { started: ok('started'), answered: ok('answered'), declined: ok('declined'), ended: ok('ended'), ...opts.log };
  const rooms = {
    requireMember: async () => ({}),
    participants: async () => (opts.participants ?? ['alice', 'bob']).map((userId) => ({ userId })),
  };
  const sfu = { grant: async () => ({ url: 'wss://sfu.test', token: 't' }) };
  const publisher = { toRoom: async (roomId: string, type: string, data: Record<string, unknown>) => (events.push({ roomId, type, data }), events.length) };
  const logger = { error: (obj: Record<string, unknown>, msg: string) => void errors.push({ obj, msg }) };
  const svc = new CallsService(store as never, log as never, rooms as never, sfu as never, publisher as never, metrics, config as never, logger as never);
  const counter = async (name: string, labels: Record<string, string>) =>
    (await registry.getSingleMetric(name)!.get()).values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value ?? 0;
  return { svc, store, events, errors, written, counter };
}

const rejection = async (p: Promise<unknown>): Promise<ProtocolError> => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProtocolError);
  return err as ProtocolError;
};

let seq = 0;
const ringing = (over: Partial<CallState> = {}): CallState => {
  const now = Date.now();
  return {
    id: `call_${++seq}`,
    roomId: 'room1',
    mode: 'p2p',
    media: 'audio',
    state: 'ringing',
    callerId: 'alice',
    callees: ['bob'],
    declined: [],
    legs: [{ userId: 'alice', connectionId: 'c_alice', sessionId: 's_c_alice', joinedAt: now }],
    startedAt: now,
    version: 1,
    ...over,
  };
};

describe('CallsService refusals and failures (scripted store)', () => {
  it('refuses a room with more others than CALL_MAX_CALLEES as too_large, ringing nobody', async () => {
    const { svc, store, events } = setup({ participants: ['alice', 'b', 'c', 'd', 'e'] });
    const err = await rejection(svc.start(caller('alice'), { roomId: 'room1', media: 'audio', mode: 'p2p' }));
    expect([err.code, err.message]).toEqual(['too_large', 'a call rings at most 3 users; this room has 4 others']);
    expect([store.calls.size, events.length]).toEqual([0, 0]);
  });

  it('refuses as busy, naming them, when everyone called is in another call; counted as a busy refusal', async () => {
    const { svc, store, counter } = setup({ participants: ['alice', 'bob', 'carol', 'bob'] });
    store.seed(ringing({ roomId: 'elsewhere', callerId: 'bob', callees: ['carol'], legs: [{ userId: 'bob', connectionId: 'c_bob', sessionId: 's', joinedAt: Date.now() }] }));
    store.claims.set(userClaim('carol'), 'call_other'); // carol answered yet another call (its state is another replica's business)
    store.calls.set('call_other', ringing({ id: 'call_other', roomId: 'third' }));
    const err = await rejection(svc.start(caller('alice'), { roomId: 'room1', media: 'audio', mode: 'p2p' }));
    expect([err.code, err.details]).toEqual(['conflict', { reason: 'busy', userIds: ['bob', 'carol'] }]);
    expect(await counter('switchboard_calls_refused_total', { reason: 'busy' })).toBe(1);
  });

  it('a call.start that loses the race for the room to another replica answers in_progress with the winner; for the caller, busy', async () => {
    const { svc, store, counter } = setup();
    const rival = ringing({ id: 'call_rival' });
    store.beforeCommit = (prev) => {
      store.beforeCommit = undefined;
      if (!prev) store.seed(rival);
    };
    const err = await rejection(svc.start(caller('alice'), { roomId: 'room1', media: 'audio', mode: 'p2p' }));
    expect([err.code, err.details]).toEqual(['conflict', { reason: 'in_progress', callId: 'call_rival' }]);
    expect(await counter('switchboard_calls_refused_total', { reason: 'in_progress' })).toBe(1);

    // The caller's own claim taken at the same moment by a call in another room.
    store.calls.clear();
    store.claims.clear();
    store.beforeCommit = (prev) => {
      store.beforeCommit = undefined;
      if (!prev) store.seed(ringing({ id: 'call_mine_elsewhere', roomId: 'room2' }));
    };
    const busy = await rejection(svc.start(caller('alice'), { roomId: 'room1', media: 'audio', mode: 'p2p' }));
    expect([busy.code, busy.details]).toEqual(['conflict', { reason: 'busy' }]);
    expect(await counter('switchboard_calls_refused_total', { reason: 'busy' })).toBe(1);
  });

  it('undoes a started call whose call-log row cannot be written: unavailable, claims given back, nothing rung', async () => {
    const { svc, store, events, errors, counter } = setup({ log: { started: async () => Promise.reject(new Error('pg down')) } });
    const err = await rejection(svc.start(caller('alice'), { roomId: 'room1', media: 'audio', mode: 'sfu' }));
    expect([err.code, err.message]).toEqual(['unavailable', 'the call log is unavailable; try again']);
    expect([store.calls.size, store.claims.size, store.due.deadlines.size, events.length]).toEqual([0, 0, 0, 0]);
    expect(errors.map((e) => e.msg)).toEqual(['call log insert failed']);
    expect(await counter('switchboard_calls_started_total', { mode: 'sfu' })).toBe(0);
  });

  it('gives up with unavailable when the call changes under every one of its compare-and-sets', async () => {
    const { svc, store } = setup();
    const call = store.seed(ringing());
    let rivals = 0;
    // Another replica bumps the version between every read and write.
    store.beforeCommit = () => {
      rivals++;
      const cur = store.calls.get(call.id)!;
      store.calls.set(call.id, { ...cur, version: cur.version + 1 });
    };
    const err = await rejection(svc.decline(caller('bob'), { callId: call.id }));
    expect([err.code, err.message]).toEqual(['unavailable', 'the call is changing too fast; try again']);
    expect(rivals).toBe(8);
    expect(store.calls.get(call.id)!.declined).toEqual([]);
  });

  it('an accept whose user or connection is claimed by another call meanwhile is busy, and the call is unchanged', async () => {
    const { svc, store, events } = setup();
    const call = store.seed(ringing());
    store.beforeCommit = () => {
      store.beforeCommit = undefined;
      store.claims.set(connClaim('c_bob'), 'call_other');
    };
    const err = await rejection(svc.accept(caller('bob'), { callId: call.id }));
    expect([err.code, err.details]).toEqual(['conflict', { reason: 'busy' }]);
    expect(store.calls.get(call.id)).toEqual(call);
    expect(events).toEqual([]);
  });

  it('a resume moving a leg whose new connection is claimed by another call is refused as busy (no default taken error)', async () => {
    const { svc, store } = setup();
    const call = store.seed(ringing());
    store.claims.set(connClaim('c_new'), 'call_other');
    const err = await rejection(svc.resume({ userId: 'alice', connectionId: 'c_new' }, 's_c_alice'));
    expect([err.code, err.details]).toEqual(['conflict', { reason: 'busy' }]);
    expect(store.calls.get(call.id)!.legs[0].connectionId).toBe('c_alice');
  });

  it('a resume whose call ends between the claim read and the change keeps nothing', async () => {
    const { svc, store } = setup();
    const call = store.seed(ringing());
    store.calls.delete(call.id); // ended by another replica; the user claim not yet released
    expect(await svc.resume({ userId: 'alice', connectionId: 'c_new' }, 's_c_alice')).toEqual({ calls: [] });
  });

  it('finish is false for a call already gone; call.end on a call that ended meanwhile is not_found', async () => {
    const { svc, store, events } = setup();
    expect(await svc.finish('call_nope', 'ended')).toBe(false);
    const call = store.seed(ringing());
    store.beforeCommit = (_prev, next) => {
      if (next) return;
      store.beforeCommit = undefined;
      store.calls.delete(call.id); // the ring timeout on another replica got there first
    };
    const err = await rejection(svc.end(caller('alice'), { callId: call.id }));
    expect([err.code, err.message]).toEqual(['not_found', 'call not found (it ended already)']);
    expect(events).toEqual([]);
  });

  it('retries a failing call-log write; after three failures the call goes on, the failure logged and counted by op', async () => {
    let answered = 0;
    const { svc, store, events, errors, counter } = setup({ log: { answered: async () => Promise.reject(new Error(`pg down ${++answered}`)) } });
    const call = store.seed(ringing());
    expect(await svc.accept(caller('bob'), { callId: call.id })).toEqual({ callId: call.id });
    expect(answered).toBe(3);
    expect(store.calls.get(call.id)).toMatchObject({ state: 'active', legs: [{ userId: 'alice' }, { userId: 'bob' }] });
    expect(events.map((e) => e.type)).toEqual(['call.accepted']);
    expect(errors).toEqual([{ obj: expect.objectContaining({ op: 'answer', err: expect.objectContaining({ message: 'pg down 3' }) }), msg: 'call log write failed' }]);
    expect(await counter('switchboard_call_log_failures_total', { op: 'answer' })).toBe(1);
  });

  it('a call-log write that fails once and then succeeds is neither logged nor counted', async () => {
    let ended = 0;
    const { svc, store, errors, written, counter } = setup({
      log: {
        ended: async () => {
          if (++ended === 1) throw new Error('blip');
          written.push('ended');
        },
      },
    });
    const call = store.seed(ringing());
    expect(await svc.finish(call.id, 'ended', 'alice')).toBe(true);
    expect([ended, written, errors]).toEqual([2, ['ended'], []]);
    expect(await counter('switchboard_call_log_failures_total', { op: 'end' })).toBe(0);
  });

  it('a ring timer that fires after the answer does not end the call: it is put back at the maximum duration', async () => {
    const { svc, store, events } = setup();
    const call = store.seed(ringing({ startedAt: Date.now() - 40_000 })); // past the 30 s ring timeout...
    store.calls.set(call.id, { ...call, state: 'active', answeredAt: Date.now() - 1000, version: 2 }); // ...but answered meanwhile
    store.due.deadlines.set(call.id, Date.now() - 10_000);
    await (svc as unknown as { expireDue(): Promise<void> }).expireDue();
    expect(store.calls.get(call.id)).toMatchObject({ state: 'active' });
    expect(store.due.deadlines.get(call.id)).toBe(call.startedAt + config.CALL_MAX_DURATION_MS);
    expect(events).toEqual([]);
  });
});
