import { describe, expect, it } from 'vitest';
import type { LivenessReport } from '@switchboard/protocol';
import { ON_CONNECTION_GONE } from './liveness.decorators.js';
import { LivenessService, nextSweepDelay } from './liveness.service.js';

describe('nextSweepDelay (presence expiry sweep, ADR 0072)', () => {
  const now = 1_000_000;
  const ttl = 30_000;
  const gap = 1_000;

  it('sleeps a whole TTL when no connection is held: nothing written later can lapse sooner', () => {
    expect(nextSweepDelay(undefined, now, ttl, gap)).toBe(ttl);
  });

  it('wakes for the earliest deadline present', () => {
    expect(nextSweepDelay(now + 12_345, now, ttl, gap)).toBe(12_345);
  });

  it('never sleeps past now + TTL, even for a later deadline (one written by a replica with a longer TTL)', () => {
    expect(nextSweepDelay(now + 5 * ttl, now, ttl, gap)).toBe(ttl);
  });

  it('never sweeps more often than PRESENCE_SWEEP_MS: a lapsed or imminent head waits the minimum gap', () => {
    expect(nextSweepDelay(now - 10_000, now, ttl, gap)).toBe(gap);
    expect(nextSweepDelay(now + gap - 1, now, ttl, gap)).toBe(gap);
    expect(nextSweepDelay(now + gap, now, ttl, gap)).toBe(gap);
    expect(nextSweepDelay(now + gap + 1, now, ttl, gap)).toBe(gap + 1);
  });

  it('keeps the minimum gap when it is longer than the TTL (a misconfiguration, still never a busy loop)', () => {
    expect(nextSweepDelay(undefined, now, 500, gap)).toBe(gap);
  });
});

/** LivenessService's report paths on a scripted store (liveness.store.spec.ts proves the store on real Redis). */
describe('LivenessService (scripted store)', () => {
  type Rec = { connectionId: string; userId: string; sessionId: string; nodeId: string; boot: string };
  const rec = (id: string, boot = 'b1'): Rec => ({ connectionId: id, userId: `u_${id}`, sessionId: 's', nodeId: 'n1', boot });
  const config = { PRESENCE_TTL_MS: 30_000, PRESENCE_LIVENESS_INTERVAL_MS: 10_000, PRESENCE_SWEEP_MS: 1_000, SESSION_POLICY: 'multi' };

  function service(recs: Rec[], over: Record<string, unknown> = {}) {
    const live = new Map(recs.map((r) => [r.connectionId, r]));
    const store = {
      refresh: async () => ({ previousBoot: 'b1' }),
      nodeConnections: async () => [...live.keys()],
      get: async (id: string) => live.get(id),
      claim: async (id: string) => {
        const r = live.get(id);
        live.delete(id);
        return r;
      },
      alive: async (ids: string[]) => new Set(ids.filter((i) => live.has(i))),
      heldCount: async () => live.size,
      openMany: async () => [],
      ofUser: async (u: string) => [...live.values()].filter((r) => r.userId === u),
      onlineConnections: async () => live.size,
      lapsed: async () => [] as string[],
      earliestDeadline: async () => undefined,
      ...over,
    };
    const published: { data: { connectionId: string; reason: string } }[] = [];
    const warnings: string[] = [];
    const bus = { publish: (_s: string, m: (typeof published)[number]) => published.push(m) };
    const metrics = { sources: () => undefined, gone: { inc: () => undefined }, replaced: { inc: () => undefined } };
    const logger = { warn: (_o: unknown, msg: string) => warnings.push(msg) };
    const failing = { where: 'Rooms.onGone', call: async () => Promise.reject(new Error('db down')) };
    const wiring = { find: (mark: unknown) => (mark === ON_CONNECTION_GONE ? [failing] : []) };
    const svc = new LivenessService(store as never, bus as never, metrics as never, config as never, logger as never, wiring as never);
    return { svc, live, published, warnings };
  }
  const report = (over: Partial<LivenessReport> = {}): LivenessReport =>
    ({ nodeId: 'n1', bootId: 'b1', opened: [], closed: [], count: 0, held: [], full: false, shutdown: false, ...over }) as LivenessReport;

  it('a new boot of the same node expires the old process connections, keeping the ones of the new boot', async () => {
    const { svc, live, published } = service([rec('old1', 'b0'), rec('new1', 'b2')]);
    const reply = await svc.report(report({ bootId: 'b2', count: 1 }));
    expect([...live.keys()]).toEqual(['new1']);
    expect(published.map((p) => [p.data.connectionId, p.data.reason])).toEqual([['old1', 'expired']]);
    expect(reply).toMatchObject({ resync: false, lost: [], ttlMs: 30_000, intervalMs: 10_000 });
  });

  it('a full report expires extras and returns the held ids presence lost; a shutdown report closes all', async () => {
    const a = service([rec('c1'), rec('c2')]);
    const reply = await a.svc.report(report({ full: true, held: ['c1', 'gone1'], count: 2 }));
    expect(reply.lost).toEqual(['gone1']);
    expect(reply.resync).toBe(false);
    expect(a.published.map((p) => [p.data.connectionId, p.data.reason])).toEqual([['c2', 'expired']]);
    const b = service([rec('c1'), rec('c2')]);
    await b.svc.report(report({ shutdown: true }));
    expect(b.published.map((p) => [p.data.connectionId, p.data.reason])).toEqual([
      ['c1', 'closed'],
      ['c2', 'closed'],
    ]);
    expect(await b.svc.connection('c1')).toBeUndefined();
  });

  it('asks for a resync when the counts differ; a failing gone reaction is logged and the rest goes on', async () => {
    const { svc, warnings } = service([rec('c1')]);
    expect((await svc.report(report({ count: 5 }))).resync).toBe(true);
    svc.onModuleInit();
    expect(await svc.end('c1', 'closed')).toBe(true);
    expect(await svc.end('c1', 'closed')).toBe(false);
    expect(warnings).toEqual(['cleanup after conn.gone failed']);
  });

  it('sweep: overlapping calls run once; a store failure is logged and ends the round', async () => {
    let release!: () => void;
    const { svc, warnings } = service([rec('c1')], {
      lapsed: async () => {
        await new Promise<void>((r) => (release = r));
        throw new Error('redis down');
      },
    });
    const first = svc.sweep(1);
    expect(await svc.sweep(1)).toBe(0);
    release();
    expect(await first).toBe(0);
    expect(warnings).toEqual(['presence sweep failed']);
  });
});
