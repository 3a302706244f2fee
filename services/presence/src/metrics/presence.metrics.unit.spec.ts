import { Registry } from '@switchboard/platform';
import { describe, expect, it } from 'vitest';
import { PresenceMetrics } from './presence.metrics.js';

/** The scrape-time gauges on scripted sources (the Redis reads behind them are proven in liveness/relays specs). */
describe('PresenceMetrics scrape-time gauges', () => {
  const scrape = async (registry: Registry) =>
    Object.fromEntries(
      (await registry.getMetricsAsJSON()).filter((m) => m.name.startsWith('switchboard_presence_online') || m.name.startsWith('switchboard_relays_')).map((m) => [m.name, m.values[0]?.value]),
    );

  it('report the online count and the relay stats from one relay read per scrape', async () => {
    const registry = new Registry();
    const metrics = new PresenceMetrics(registry);
    let relayReads = 0;
    metrics.sources({ online: async () => 42, relays: async () => ({ registered: 3 + relayReads++, capacity: 30, connected: 12, available: 2 }) });
    expect(await scrape(registry)).toEqual({
      switchboard_presence_online_connections: 42,
      switchboard_relays_registered: 3,
      switchboard_relays_capacity: 30,
      switchboard_relays_connected: 12,
      switchboard_relays_available: 2,
    });
    expect(relayReads).toBe(1);
    // The next scrape reads again: the shared read lives for one scrape, not longer.
    expect((await scrape(registry)).switchboard_relays_registered).toBe(4);
    expect(relayReads).toBe(2);
  });

  it('report 0 rather than failing the scrape when a source fails (Redis down)', async () => {
    const registry = new Registry();
    const metrics = new PresenceMetrics(registry);
    metrics.sources({ online: async () => Promise.reject(new Error('redis down')), relays: async () => Promise.reject(new Error('redis down')) });
    expect(await scrape(registry)).toEqual({
      switchboard_presence_online_connections: 0,
      switchboard_relays_registered: 0,
      switchboard_relays_capacity: 0,
      switchboard_relays_connected: 0,
      switchboard_relays_available: 0,
    });
  });
});
