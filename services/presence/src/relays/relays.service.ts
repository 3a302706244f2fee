import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, type Caller } from '@switchboard/platform';
import { notFound, type CommandData } from '@switchboard/protocol';
import type { PresenceConfig } from '../config.js';
import { OnConnectionGone } from '../liveness/liveness.decorators.js';
import type { ConnectionRecord } from '../liveness/liveness.store.js';
import { LivenessService } from '../liveness/liveness.service.js';
import { PresenceMetrics, type RelayStats } from '../metrics/presence.metrics.js';
import { RelaysStore, type RelayEntry } from './relays.store.js';
import { shuffle } from './shuffle.js';

const DEFAULT_LIMIT = 20;

export interface RelayView {
  connectionId: string;
  userId: string;
  capacity: number;
  connected: number;
  publicKey?: string;
}

/** A relay takes new peers while under half its capacity. */
export const isAvailable = (e: Pick<RelayEntry, 'capacity' | 'connected'>) => e.connected < e.capacity / 2;

/** Peers offering relay capacity: one entry per connection, gone with it. */
@Injectable()
export class RelaysService {
  constructor(
    private readonly store: RelaysStore,
    private readonly liveness: LivenessService,
    metrics: PresenceMetrics,
    @Inject(CONFIG) private readonly config: PresenceConfig,
  ) {
    metrics.sources({ relays: () => this.stats() });
  }

  /** A relay whose connection ended is no longer offered. */
  @OnConnectionGone()
  async connectionGone(rec: ConnectionRecord): Promise<void> {
    await this.store.remove(rec.connectionId);
  }

  async register(caller: Caller, data: CommandData<'relay.register'>): Promise<Record<string, never>> {
    await this.store.put({ connectionId: caller.connectionId, userId: caller.userId, capacity: data.capacity, connected: 0, publicKey: data.publicKey, registeredAt: Date.now() });
    return {};
  }

  async updateLoad(caller: Caller, data: CommandData<'relay.update_load'>): Promise<Record<string, never>> {
    if (!(await this.store.updateLoad(caller.connectionId, data.connected))) throw notFound('not registered as a relay: send relay.register first');
    return {};
  }

  async unregister(caller: Caller): Promise<Record<string, never>> {
    await this.store.remove(caller.connectionId);
    return {};
  }

  /** Available relays other than the caller, uniformly shuffled, at most `limit`. */
  async list(caller: Caller, data: CommandData<'relay.list'>): Promise<{ relays: RelayView[] }> {
    const eligible = (await this.live()).filter((e) => isAvailable(e) && e.connectionId !== caller.connectionId);
    const relays = shuffle(eligible)
      .slice(0, data?.limit ?? DEFAULT_LIMIT)
      .map(({ connectionId, userId, capacity, connected, publicKey }) => ({ connectionId, userId, capacity, connected, ...(publicKey ? { publicKey } : {}) }));
    return { relays };
  }

  async stats(): Promise<RelayStats> {
    const all = await this.live();
    return {
      registered: all.length,
      capacity: all.reduce((s, e) => s + e.capacity, 0),
      connected: all.reduce((s, e) => s + e.connected, 0),
      available: all.filter(isAvailable).length,
    };
  }

  /**
   * Entries whose connection is alive; leftovers of a missed cleanup are dropped on the way.
   * A fresh entry may precede its connection's open report (they travel separately), so it
   * is only judged after one TTL.
   */
  private async live(): Promise<RelayEntry[]> {
    const all = await this.store.all();
    const alive = await this.liveness.alive(all.map((e) => e.connectionId));
    const judged = Date.now() - this.config.PRESENCE_TTL_MS;
    const dead = all.filter((e) => !alive.has(e.connectionId) && e.registeredAt < judged).map((e) => e.connectionId);
    if (dead.length) await this.store.remove(...dead);
    return all.filter((e) => alive.has(e.connectionId));
  }
}
