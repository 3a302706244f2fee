import { describe, expect, it } from 'vitest';
import type { Caller, CommandBus } from '@switchboard/platform';
import { ProtocolError, ROOMS_RESUME_BATCH_MAX, ROOMS_RESUME_BATCH_MAX_ROOMS, RoomsResumeBatch, RoomsResumeBatchReply, type RoomsResumeBatch as Batch } from '@switchboard/protocol';
import { gatewayConfig } from '../testing/fakes.test.js';
import { RoomsResumeBatcher } from './rooms-resume.batcher.js';

type Entry = Batch['resumes'][number];

/** Answers like rooms: each request checked against the verb's schemas; entries of user `u-live` answer session_live. */
function fakeRooms(opts: { down?: boolean; old?: boolean } = {}) {
  const requests: Entry[][] = [];
  const callers: Caller[] = [];
  const singles: { caller: Caller; data: unknown }[] = [];
  const bus = {
    request: async (service: string, verb: string, caller: Caller, data: Batch) => {
      expect(service).toBe('rooms');
      if (opts.old) {
        // A replica from before the batch verb: the CommandBus's answer to an unknown verb.
        if (verb !== 'session.resume') throw new ProtocolError('bad_request', `unknown command ${verb}`);
        singles.push({ caller, data });
        if (caller.userId === 'u-live') throw new ProtocolError('conflict', 'this session is still connected', { reason: 'session_live' });
        return { rooms: {} };
      }
      expect(verb).toBe('session.resume_batch');
      RoomsResumeBatch.parse(data);
      requests.push(data.resumes);
      callers.push(caller);
      if (opts.down) throw new ProtocolError('unavailable', 'rooms service is unavailable');
      return RoomsResumeBatchReply.parse({
        results: data.resumes.map((e) =>
          e.userId === 'u-live'
            ? { error: { code: 'conflict', message: 'this session is still connected', details: { reason: 'session_live' } } }
            : { ok: { rooms: Object.fromEntries(Object.keys(e.rooms).map((id) => [id, { status: 'resumed', seq: 7, previousConnectionId: `old-${e.connectionId}` }])) } },
        ),
      });
    },
  };
  return { bus: bus as unknown as CommandBus, requests, callers, singles };
}

const conn = (i: number | string) => ({ userId: `u${i}`, connectionId: `c${i}` });
const batcher = (bus: CommandBus) => new RoomsResumeBatcher(bus, gatewayConfig({ NODE_ID: 'gw-b' }));

describe('RoomsResumeBatcher', () => {
  it("sends one turn's resumes in one request as the gateway, each entry with its user and connection, and answers each with its own reply", async () => {
    const rooms = fakeRooms();
    const b = batcher(rooms.bus);
    const replies = await Promise.all([b.resume(conn(1), { sessionId: 's1', rooms: { r1: 3 } }), b.resume(conn(2), { sessionId: 's2', rooms: { r2: 0, r3: 5 } })]);
    expect(rooms.requests).toEqual([
      [
        { sessionId: 's1', rooms: { r1: 3 }, userId: 'u1', connectionId: 'c1' },
        { sessionId: 's2', rooms: { r2: 0, r3: 5 }, userId: 'u2', connectionId: 'c2' },
      ],
    ]);
    expect(rooms.callers[0]).toMatchObject({ userId: '', connectionId: '', nodeId: 'gw-b', name: 'gateway' });
    expect(replies[0].rooms).toEqual({ r1: { status: 'resumed', seq: 7, previousConnectionId: 'old-c1' } });
    expect(Object.keys(replies[1].rooms)).toEqual(['r2', 'r3']);
  });

  it("rejects only the entry rooms refused, with its typed error (code, message, details); the batch's others resolve", async () => {
    const b = batcher(fakeRooms().bus);
    const [ok, live] = await Promise.allSettled([b.resume(conn(1), { sessionId: 's1', rooms: { r1: 0 } }), b.resume(conn('-live'), { sessionId: 's2', rooms: { r1: 0 } })]);
    expect(ok.status).toBe('fulfilled');
    const err = (live as PromiseRejectedResult).reason as ProtocolError;
    expect(err).toBeInstanceOf(ProtocolError);
    expect([err.code, err.details]).toEqual(['conflict', { reason: 'session_live' }]);
  });

  it('a batch rooms cannot answer fails each of its resumes with unavailable (the client may retry)', async () => {
    const b = batcher(fakeRooms({ down: true }).bus);
    const results = await Promise.allSettled([b.resume(conn(1), { sessionId: 's1', rooms: {} }), b.resume(conn(2), { sessionId: 's2', rooms: {} })]);
    expect(results.map((r) => r.status === 'rejected' && (r.reason as ProtocolError).code)).toEqual(['unavailable', 'unavailable']);
  });

  it('falls back to one session.resume per resume when rooms does not know the batch verb (rolling upgrade), each with its own caller and outcome', async () => {
    const rooms = fakeRooms({ old: true });
    const b = batcher(rooms.bus);
    const [ok, live] = await Promise.allSettled([b.resume(conn(1), { sessionId: 's1', rooms: { r1: 2 } }), b.resume(conn('-live'), { sessionId: 's2', rooms: { r1: 0 } })]);
    expect(ok).toEqual({ status: 'fulfilled', value: { rooms: {} } });
    expect(((live as PromiseRejectedResult).reason as ProtocolError).details).toEqual({ reason: 'session_live' });
    expect(rooms.singles.map((s) => [s.caller.userId, s.caller.connectionId, s.caller.nodeId, s.data])).toEqual([
      ['u1', 'c1', 'gw-b', { sessionId: 's1', rooms: { r1: 2 } }],
      ['u-live', 'c-live', 'gw-b', { sessionId: 's2', rooms: { r1: 0 } }],
    ]);
  });

  it(`splits a turn over ROOMS_RESUME_BATCH_MAX (${ROOMS_RESUME_BATCH_MAX}) resumes or ROOMS_RESUME_BATCH_MAX_ROOMS (${ROOMS_RESUME_BATCH_MAX_ROOMS}) rooms into requests within both`, async () => {
    const rooms = fakeRooms();
    const b = batcher(rooms.bus);
    await Promise.all(Array.from({ length: ROOMS_RESUME_BATCH_MAX + 1 }, (_, i) => b.resume(conn(i), { sessionId: `s${i}`, rooms: { r: 0 } })));
    expect(rooms.requests.map((r) => r.length)).toEqual([ROOMS_RESUME_BATCH_MAX, 1]);
    const hundred = (k: number) => Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`r${k}_${i}`, 0]));
    const n = ROOMS_RESUME_BATCH_MAX_ROOMS / 100 + 1;
    await Promise.all(Array.from({ length: n }, (_, k) => b.resume(conn(k), { sessionId: `s${k}`, rooms: hundred(k) })));
    expect(rooms.requests.slice(2).map((r) => r.length)).toEqual([n - 1, 1]);
    // The schema refuses one more than either limit, and an empty batch.
    const entry = (k: number, r: Record<string, number>) => ({ sessionId: 's', rooms: r, ...conn(k) });
    expect(RoomsResumeBatch.safeParse({ resumes: Array.from({ length: ROOMS_RESUME_BATCH_MAX + 1 }, (_, i) => entry(i, {})) }).success).toBe(false);
    expect(RoomsResumeBatch.safeParse({ resumes: Array.from({ length: n }, (_, k) => entry(k, hundred(k))) }).success).toBe(false);
    expect(RoomsResumeBatch.safeParse({ resumes: [] }).success).toBe(false);
  });
});
