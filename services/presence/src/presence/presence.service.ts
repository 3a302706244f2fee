import { Inject, Injectable } from '@nestjs/common';
import { CommandBus, CONFIG, type Caller } from '@switchboard/platform';
import { subjects, type CommandData } from '@switchboard/protocol';
import type { PresenceConfig } from '../config.js';
import { OnConnectionGone, OnConnectionOpened } from '../liveness/liveness.decorators.js';
import type { ConnectionRecord } from '../liveness/liveness.store.js';
import { PresenceMetrics } from '../metrics/presence.metrics.js';
import { PresenceStore } from './presence.store.js';
import { presenceView, type PresenceView } from './presence.view.js';


export type PresenceMap = Record<string, PresenceView>;

/** Status choices, what others see of them, and the `presence.changed` events. */
@Injectable()
export class PresenceService {
  constructor(
    private readonly store: PresenceStore,
    private readonly bus: CommandBus,
    private readonly metrics: PresenceMetrics,
    @Inject(CONFIG) private readonly config: PresenceConfig,
  ) {}

  /** A user's status follows their connections: settled when one opens or ends (a report's opens together). */
  @OnConnectionOpened()
  async connectionsOpened(recs: ConnectionRecord[]): Promise<void> {
    await this.settleMany(recs.map((r) => r.userId));
  }

  @OnConnectionGone()
  async connectionGone(rec: ConnectionRecord): Promise<void> {
    if (rec.userId) await this.settle(rec.userId);
  }

  async set(caller: Caller, data: CommandData<'presence.set'>): Promise<Record<string, never>> {
    await this.store.setStatus(caller.userId, data.status, data.text ?? '', this.config.PRESENCE_STATE_TTL_MS);
    await this.settle(caller.userId);
    return {};
  }

  async query(viewerId: string, userIds: string[]): Promise<PresenceMap> {
    const unique = [...new Set(userIds)];
    const now = Date.now();
    const out: PresenceMap = {};
    for (const p of await this.store.query(unique)) out[p.userId] = presenceView(p, viewerId, now);
    return out;
  }

  /**
   * `presence.subscribe`: the connection is registered as a watcher first, then the snapshot is
   * read, so a change settled before the registration is in the snapshot and one after it is
   * published (settle reads the watchers atomically with the change, ADR 0083).
   */
  async watch(caller: Caller, userIds: string[]): Promise<PresenceMap> {
    const unique = [...new Set(userIds)];
    await this.store.watch(caller.connectionId, unique);
    return this.query(caller.userId, unique);
  }

  async unwatch(caller: Caller, userIds: string[]): Promise<void> {
    await this.store.unwatch(caller.connectionId, [...new Set(userIds)]);
  }

  /** Publishes `presence.changed` when what others see of the user changed and someone watches them (ADR 0083). */
  async settle(userId: string): Promise<void> {
    await this.settleMany([userId]);
  }

  /** `settle` for several users in one Redis call per chunk (each user once). */
  async settleMany(userIds: string[]): Promise<void> {
    const unique = [...new Set(userIds)];
    const results = await this.store.settleMany(unique, this.config.PRESENCE_STATE_TTL_MS, this.config.PRESENCE_TTL_MS);
    results.forEach(({ changed, watched, presence }, i) => {
      if (!changed) return;
      const view = presenceView(presence, '');
      this.metrics.changes.inc({ status: view.status });
      // Nobody watches: the event would go to a subject without subscribers (one NATS write per connect, saved).
      if (!watched) return;
      this.bus.publish(subjects.presence(unique[i]), { type: 'presence.changed', data: { userId: unique[i], ...view } });
    });
  }
}
