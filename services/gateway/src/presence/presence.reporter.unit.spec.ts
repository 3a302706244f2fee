import { describe, expect, it, vi } from 'vitest';
import type { CommandBus, Logger } from '@switchboard/platform';
import type { GatewayConfig } from '../config.js';
import type { Connection } from '../connections/connection.js';
import type { ConnectionRegistry } from '../connections/connection.registry.js';
import type { PresenceInterest } from './presence.interest.js';
import { PresenceReporter } from './presence.reporter.js';

type Body = { nodeId: string; bootId: string; opened?: { connectionId: string }[]; closed?: string[]; count: number; shutdown?: boolean; full?: boolean; held?: string[] };

/** A bus that records reports and answers like presence (optionally failing). */
function fakeBus(reply: (b: Body) => object = () => ({ intervalMs: 60_000, ttlMs: 180_000, resync: false, lost: [] })) {
  const calls: Body[] = [];
  let failing = false;
  const bus = {
    request: async (_s: string, _v: string, _c: unknown, body: Body) => {
      calls.push(structuredClone(body));
      if (failing) throw new Error('unavailable');
      return reply(body);
    },
  };
  return { bus: bus as unknown as CommandBus, calls, fail: (f: boolean) => (failing = f) };
}

/** A bus whose reports stay in flight until `answer()` (the oldest first), for what happens meanwhile. */
function gatedBus() {
  const calls: Body[] = [];
  const answers: (() => void)[] = [];
  const bus = {
    request: (_s: string, _v: string, _c: unknown, body: Body) => {
      calls.push(structuredClone(body));
      return new Promise((resolve) => answers.push(() => resolve({ intervalMs: 60_000, ttlMs: 180_000, resync: false, lost: [] })));
    },
  };
  return { bus: bus as unknown as CommandBus, calls, answer: () => answers.shift()!() };
}

const conn = (id: string) => ({ id, userId: `u_${id}`, sessionId: 's', openedAt: 1, identity: { device: 'phone' } }) as unknown as Connection;
const tick = () => new Promise((r) => setImmediate(r));
const logger = { debug: () => undefined } as unknown as Logger;
const interest = { drop: () => undefined } as unknown as PresenceInterest;

function reporter(bus: CommandBus, closedIds: string[] = [], windowMs = 0) {
  const registry = { get: (id: string) => ({ close: () => closedIds.push(id) }) } as unknown as ConnectionRegistry;
  return new PresenceReporter(bus, registry, interest, { NODE_ID: 'gw1', PRESENCE_REPORT_WINDOW_MS: windowMs } as GatewayConfig, logger);
}

describe('PresenceReporter', () => {
  it('coalesces a burst of opens and closes into one report with the resulting count', async () => {
    const { bus, calls } = fakeBus();
    const r = reporter(bus);
    for (let i = 0; i < 100; i++) r.opened(conn(`c${i}`));
    r.closed(conn('c0'));
    await tick();
    await tick();
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ nodeId: 'gw1', bootId: r.bootId, count: 99, closed: ['c0'] });
    expect(calls[0].opened).toHaveLength(100);
  });

  it('opens of the turns a report was in flight go in the next report, and no empty report follows (ADR 0098)', async () => {
    const { bus, calls, answer } = gatedBus();
    const r = reporter(bus);
    r.opened(conn('a'));
    await vi.waitFor(() => expect(calls).toHaveLength(1));
    // Three turns ask for a flush while `a`'s report is in flight.
    for (const id of ['b', 'c', 'd']) {
      r.opened(conn(id));
      await tick();
    }
    expect(calls).toHaveLength(1);
    answer();
    await vi.waitFor(() => expect(calls).toHaveLength(2));
    expect(calls[1].opened!.map((o) => o.connectionId)).toEqual(['b', 'c', 'd']);
    answer();
    for (let i = 0; i < 5; i++) await tick();
    expect(calls).toHaveLength(2);
  });

  it('paces back-to-back reports by the last round trip (at most 25 ms); after a quiet spell one leaves at once (ADR 0098)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    try {
      const { bus, calls, answer } = gatedBus();
      /** The next report leaves `ms` after now, not a millisecond sooner. */
      const leavesAfter = async (ms: number, sent: number) => {
        await vi.advanceTimersByTimeAsync(ms - 1);
        expect(calls).toHaveLength(sent);
        await vi.advanceTimersByTimeAsync(1);
        expect(calls).toHaveLength(sent + 1);
      };
      const r = reporter(bus);
      r.opened(conn('a'));
      await tick();
      expect(calls).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(10); // the round trip
      answer();
      r.opened(conn('b'));
      await tick();
      r.opened(conn('c'));
      await tick();
      await leavesAfter(10, 1);
      expect(calls[1].opened!.map((o) => o.connectionId)).toEqual(['b', 'c']);
      // A slow round trip paces by 25 ms at most.
      await vi.advanceTimersByTimeAsync(400);
      answer();
      r.opened(conn('d'));
      await tick();
      await leavesAfter(25, 2);
      answer();
      // Quiet for longer than the last round trip: the next open is reported at once.
      await vi.advanceTimersByTimeAsync(100);
      r.opened(conn('e'));
      await tick();
      expect(calls).toHaveLength(4);
      answer();
    } finally {
      vi.useRealTimers();
    }
  });

  it('with PRESENCE_REPORT_WINDOW_MS, opens of several event-loop turns within the window share one report', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const { bus, calls } = fakeBus();
      const r = reporter(bus, [], 50);
      r.opened(conn('a'));
      await tick();
      r.opened(conn('b'));
      await tick();
      expect(calls).toHaveLength(0);
      await vi.advanceTimersByTimeAsync(50);
      expect(calls).toHaveLength(1);
      expect(calls[0].opened!.map((o) => o.connectionId)).toEqual(['a', 'b']);
    } finally {
      vi.useRealTimers();
    }
  });

  it('reports the caller\'s open before relay.register / rendezvous.register goes, without waiting out the window', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const { bus, calls } = fakeBus();
      const r = reporter(bus, [], 50);
      r.opened(conn('a'));
      r.opened(conn('b'));
      const order: string[] = [];
      const send = async () => {
        order.push(`register after ${calls.length} report(s)`);
        return { deadDrops: [], live: [] };
      };
      await r.reportedFirst({ daily: [], hourly: [] } as never, conn('a'), send);
      expect(order).toEqual(['register after 1 report(s)']);
      expect(calls[0].opened!.map((o) => o.connectionId)).toEqual(['a', 'b']);
      // Already reported: the next one goes at once, with no report of its own.
      await r.reportedFirst({} as never, conn('b'), send);
      expect(calls).toHaveLength(1);
      expect(order).toHaveLength(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('keeps a failed batch and resends it, in order, with the next report', async () => {
    const { bus, calls, fail } = fakeBus();
    const r = reporter(bus);
    fail(true);
    r.opened(conn('a'));
    await tick();
    await tick();
    fail(false);
    r.closed(conn('a'));
    r.opened(conn('b'));
    await tick();
    await tick();
    expect(calls).toHaveLength(2);
    expect(calls[1].opened?.map((o) => o.connectionId)).toEqual(['a', 'b']);
    expect(calls[1].closed).toEqual(['a']);
    expect(calls[1].count).toBe(1);
  });

  it('answers resync with the full held list and closes connections presence lost', async () => {
    const closedIds: string[] = [];
    let first = true;
    const { bus, calls } = fakeBus(() => {
      const r = { intervalMs: 60_000, ttlMs: 1, resync: first, lost: first ? [] : ['x'] };
      first = false;
      return r;
    });
    const r = reporter(bus, closedIds);
    r.opened(conn('x'));
    r.opened(conn('y'));
    await tick();
    await tick();
    r.opened(conn('z'));
    await vi.waitFor(() => expect(calls).toHaveLength(2)); // paced: one round trip after the reply
    expect(calls[1]).toMatchObject({ full: true });
    expect(calls[1].held?.sort()).toEqual(['x', 'y', 'z']);
    expect(closedIds).toEqual(['x']);
  });

  it('says goodbye on shutdown so presence ends every connection at once', async () => {
    const { bus, calls } = fakeBus();
    const r = reporter(bus);
    await r.onApplicationShutdown();
    expect(calls.at(-1)).toMatchObject({ shutdown: true });
  });
});
