import { Injectable } from '@nestjs/common';
import { Counter, Gauge, perScrape, Registry } from '@switchboard/platform';

export interface RelayStats {
  registered: number;
  capacity: number;
  connected: number;
  available: number;
}

/**
 * Gauges read cluster-wide state from Redis at scrape time, so every replica reports the same
 * value (aggregate with max(), not sum()); counters count this replica's work.
 */
@Injectable()
export class PresenceMetrics {
  readonly changes: Counter<'status'>;
  readonly gone: Counter<'reason'>;
  readonly replaced: Counter;
  readonly rendezvousMatches: Counter;
  private onlineSource: () => Promise<number> = async () => 0;
  private relaySource: () => Promise<RelayStats> = async () => ({ registered: 0, capacity: 0, connected: 0, available: 0 });

  constructor(registry: Registry) {
    const registers = [registry];
    this.changes = new Counter({ name: 'switchboard_presence_changes_total', help: 'Visible presence changes published', labelNames: ['status'], registers });
    this.gone = new Counter({ name: 'switchboard_presence_connections_gone_total', help: 'Connections claimed as gone, by reason', labelNames: ['reason'], registers });
    this.replaced = new Counter({ name: 'switchboard_presence_sessions_replaced_total', help: 'Connections replaced by the duplicate-login policy', registers });
    this.rendezvousMatches = new Counter({ name: 'switchboard_rendezvous_matches_total', help: 'Live rendezvous matches notified', registers });
    // prom-client calls collect() with the gauge as `this`; the sources are read through closures.
    const online = () => this.onlineSource();
    const relays = () => this.relaySource();
    new Gauge({
      name: 'switchboard_presence_online_connections',
      help: 'Live connections across the cluster',
      registers,
      async collect() {
        this.set(await online().catch(() => 0));
      },
    });
    const relayGauges: [keyof RelayStats, string, string][] = [
      ['registered', 'switchboard_relays_registered', 'Registered peer relays'],
      ['capacity', 'switchboard_relays_capacity', 'Sum of relay capacities'],
      ['connected', 'switchboard_relays_connected', 'Sum of peers connected through relays'],
      ['available', 'switchboard_relays_available', 'Relays under 50 % utilization'],
    ];
    // One Redis read per scrape for the four relay gauges.
    const read = perScrape(() => relays().catch(() => undefined));
    for (const [field, name, help] of relayGauges) {
      new Gauge({
        name,
        help,
        registers,
        async collect() {
          this.set((await read())?.[field] ?? 0);
        },
      });
    }
  }

  sources(s: { online?: () => Promise<number>; relays?: () => Promise<RelayStats> }): void {
    if (s.online) this.onlineSource = s.online;
    if (s.relays) this.relaySource = s.relays;
  }
}
