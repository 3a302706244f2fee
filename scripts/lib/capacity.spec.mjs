import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { DAY_CURVE, DEFAULT_MIX, LIMITS, project, rates, simulateDay, UNIT_COSTS } from './capacity.mjs';

describe('capacity model (docs/capacity.md)', () => {
  it('rates follow the mix: chat, deliveries by room size, sessions', () => {
    const r = rates(60_000, { rooms: [{ size: 10, share: 1, chatPerMin: 1, broadcastPerMin: 0, signalsPerMin: 0 }], sessionMinutes: 10 });
    expect(r.chat).toBe(1000); // 60,000 connections × 1 / min
    expect(r.joins).toBe(100); // 60,000 / 600 s
    // chat and join/leave events, each to the 9 other members
    expect(r.deliveries).toBe((1000 + 2 * 100) * 9);
    expect(r.storedEvents).toBe(1000 + 200);
  });

  it('scales linearly and adds replicas where the CPU goes', () => {
    const a = project(100_000);
    const b = project(1_000_000);
    expect(b.rates.deliveries / a.rates.deliveries).toBeCloseTo(10, 6);
    expect(b.cores.rooms / a.cores.rooms).toBeCloseTo(10, 6);
    expect(b.replicas.gateway).toBeGreaterThanOrEqual(1_000_000 / LIMITS.gatewayConnections);
    expect(b.replicas.rooms).toBeGreaterThan(a.replicas.rooms);
    // chat CPU in rooms: 3.2 ms per persisted message
    const chatOnly = project(60_000, { mix: { rooms: [{ size: 2, share: 1, chatPerMin: 1, broadcastPerMin: 0, signalsPerMin: 0 }], sessionMinutes: 1e9 } });
    expect(chatOnly.cores.rooms).toBeCloseTo((1000 * UNIT_COSTS.chat.rooms) / 1000, 3);
  });

  it('names what saturates first: the presence slot at 1M connections with the default mix', () => {
    expect(project(100_000).bottleneck.utilization).toBeLessThan(1);
    const big = project(1_000_000);
    expect(big.bottleneck.resource).toMatch(/\{pr\}/);
    expect(big.bottleneck.utilization).toBeGreaterThan(1);
  });

  it('more room event streams divide the stream leader load (ADR 0032)', () => {
    const chatty = { ...DEFAULT_MIX, rooms: DEFAULT_MIX.rooms.map((r) => ({ ...r, chatPerMin: r.chatPerMin * 20 })) };
    const one = project(1_000_000, { mix: chatty, streams: 1 }).utilization['JetStream stream leader'];
    const twelve = project(1_000_000, { mix: chatty, streams: 12 }).utilization['JetStream stream leader'];
    expect(one).toBeGreaterThan(1);
    expect(twelve).toBeCloseTo(one / 12, 6);
    expect(twelve).toBeLessThan(1);
  });

  it('a synthetic day has 24 hours, totals that add up, and its worst hour at the peak', () => {
    const day = simulateDay(200_000);
    expect(day.hours).toHaveLength(24);
    const chat = day.hours.reduce((s, h) => s + h.rates.chat * 3600, 0);
    expect(day.totals.chatMessages).toBeCloseTo(chat, 3);
    expect(day.totals.worst.hour).toBe(DAY_CURVE.indexOf(Math.max(...DAY_CURVE)));
    expect(day.totals.peakReplicas.rooms).toBe(project(200_000).replicas.rooms);
  });

  it('the simulation script prints the day and refuses bad arguments', () => {
    const out = execFileSync(process.execPath, ['scripts/capacity-sim.mjs', '--connections', '1000000', '--streams', '4'], { encoding: 'utf8' });
    expect(out).toMatch(/peak 1,000,000 connections, 4 room event stream/);
    expect(out.split('\n').filter((l) => /^\s+\d+\s+[\d,]+\s/.test(l))).toHaveLength(24);
    expect(out).toMatch(/SATURATED/);
    expect(() => execFileSync(process.execPath, ['scripts/capacity-sim.mjs', '--streams', '40'], { stdio: 'pipe' })).toThrow();
  });
});
