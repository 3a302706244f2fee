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

  /** A user's status follows their connections: settled when one opens or ends. */
  @OnConnectionOpened()
  async connectionOpened(rec: ConnectionRecord): Promise<void> {
    await this.settle(rec.userId);
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

  /** Publishes `presence.changed` when what others see of the user changed. */
  async settle(userId: string): Promise<void> {
    const { changed, presence } = await this.store.settle(userId, this.config.PRESENCE_STATE_TTL_MS);
    if (!changed) return;
    const view = presenceView(presence, '');
    this.metrics.changes.inc({ status: view.status });
    this.bus.publish(subjects.presence(userId), { type: 'presence.changed', data: { userId, ...view } });
  }
}
