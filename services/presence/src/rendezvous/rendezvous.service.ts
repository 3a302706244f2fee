import { Inject, Injectable } from '@nestjs/common';
import { CommandBus, CONFIG, type Caller } from '@switchboard/platform';
import { subjects, type CommandData } from '@switchboard/protocol';
import type { PresenceConfig } from '../config.js';
import { OnConnectionGone } from '../liveness/liveness.decorators.js';
import type { ConnectionRecord } from '../liveness/liveness.store.js';
import { LivenessService } from '../liveness/liveness.service.js';
import { PresenceMetrics } from '../metrics/presence.metrics.js';
import { RendezvousStore, type RendezvousEntry } from './rendezvous.store.js';

export interface Peer {
  connectionId: string;
  userId: string;
  publicKey?: string;
}

export interface RegisterResult {
  deadDrops: { point: string; deadDrop: string }[];
  live: { token: string; peer: Peer }[];
}

const peerOf = (e: RendezvousEntry): Peer => ({ connectionId: e.connectionId, userId: e.userId, ...(e.publicKey ? { publicKey: e.publicKey } : {}) });

/**
 * Rendezvous for peers that share secrets out of band: daily points carry opaque dead drops
 * for whoever comes later (48 h); hourly tokens match peers that are online at the same time
 * (3 h), telling both sides at once.
 */
@Injectable()
export class RendezvousService {
  constructor(
    private readonly store: RendezvousStore,
    private readonly liveness: LivenessService,
    private readonly bus: CommandBus,
    private readonly metrics: PresenceMetrics,
    @Inject(CONFIG) private readonly config: PresenceConfig,
  ) {}

  /** An ended connection's rendezvous entries go with it. */
  @OnConnectionGone()
  async connectionGone(rec: ConnectionRecord): Promise<void> {
    await this.store.dropConnection(rec.connectionId);
  }

  async register(caller: Caller, data: CommandData<'rendezvous.register'>): Promise<RegisterResult> {
    const me: RendezvousEntry = { connectionId: caller.connectionId, userId: caller.userId, exp: 0, ...(data.publicKey ? { publicKey: data.publicKey } : {}) };
    const now = Date.now();
    const dailyTtl = this.config.RENDEZVOUS_DAILY_TTL_MS;
    const hourlyTtl = this.config.RENDEZVOUS_HOURLY_TTL_MS;
    const daily = dedupe(data.daily, (d) => d.point);
    const hourly = dedupe(data.hourly, (t) => t);

    const found = await this.store.daily({ ...me, exp: now + dailyTtl }, daily, dailyTtl);
    const deadDrops = daily.flatMap((d, i) => found[i].filter((e) => e.userId !== caller.userId && e.deadDrop !== undefined).map((e) => ({ point: d.point, deadDrop: e.deadDrop! })));

    const waiting = await this.store.hourly({ ...me, exp: now + hourlyTtl }, hourly, hourlyTtl);
    const alive = await this.liveness.alive(waiting.flat().map((e) => e.connectionId));
    const live: RegisterResult['live'] = [];
    hourly.forEach((token, i) => {
      for (const e of waiting[i]) {
        if (e.userId === caller.userId || !alive.has(e.connectionId)) continue;
        live.push({ token, peer: peerOf(e) });
        this.bus.publish(subjects.conn(e.connectionId), { type: 'rendezvous.match', data: { token, peer: peerOf(me) } });
        this.metrics.rendezvousMatches.inc();
      }
    });
    return { deadDrops, live };
  }
}

function dedupe<T>(items: T[], key: (t: T) => string): T[] {
  const seen = new Map<string, T>();
  for (const item of items) seen.set(key(item), item);
  return [...seen.values()];
}
