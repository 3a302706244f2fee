import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { CommandBus, CONFIG, LOGGER, Wiring, type Logger } from '@switchboard/platform';
import type { presence } from '@switchboard/proto';
import { subjects, type ConnGone } from '@switchboard/protocol';
import type { PresenceConfig } from '../config.js';
import { PresenceMetrics } from '../metrics/presence.metrics.js';
import type { LivenessReport } from '@switchboard/protocol';
import { ON_CONNECTION_GONE, ON_CONNECTION_OPENED, type GoneReaction, type GoneReason, type OpenedReaction } from './liveness.decorators.js';
import { LivenessStore, type ConnectionRecord } from './liveness.store.js';
const SWEEP_BATCH = 500;

/**
 * When the next expiry sweep is needed (ms from now). Every deadline is written as its writer's
 * now + PRESENCE_TTL_MS (an open or a renewal), so nothing that is not in the set yet can lapse
 * before now + ttl: the sweep waits for the earliest deadline present, or that, but never less
 * than `minGapMs` (PRESENCE_SWEEP_MS, the old fixed period). A lapse is still seen within
 * `minGapMs` of its deadline, and an idle replica wakes once per TTL instead of every second (ADR 0072).
 */
export function nextSweepDelay(earliestDeadline: number | undefined, now: number, ttlMs: number, minGapMs: number): number {
  const due = Math.min(earliestDeadline ?? Infinity, now + ttlMs);
  return Math.max(minGapMs, due - now);
}

/**
 * Connection liveness from gateway reports: registration (with the duplicate-login policy),
 * clean closes, and expiry of connections whose gateway stopped reporting. Every connection
 * ends in exactly one `conn.gone` event, whichever replica and path gets there first.
 */
@Injectable()
export class LivenessService implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  /** The other domains' `@OnConnectionOpened` / `@OnConnectionGone` methods, found at boot. */
  private opened: OpenedReaction[] = [];
  private goneReactions: { where: string; run: GoneReaction }[] = [];
  private sweeper?: NodeJS.Timeout;
  private sweeping = false;
  private stopped = false;

  constructor(
    private readonly store: LivenessStore,
    private readonly bus: CommandBus,
    private readonly metrics: PresenceMetrics,
    @Inject(CONFIG) private readonly config: PresenceConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly wiring: Wiring,
  ) {
    metrics.sources({ online: () => store.onlineConnections() });
  }

  onModuleInit() {
    this.opened = this.wiring.find(ON_CONNECTION_OPENED).map((w) => w.call as OpenedReaction);
    this.goneReactions = this.wiring.find(ON_CONNECTION_GONE).map((w) => ({ where: w.where, run: w.call as GoneReaction }));
  }

  onApplicationBootstrap() {
    this.scheduleSweep(this.config.PRESENCE_SWEEP_MS);
  }

  onApplicationShutdown() {
    this.stopped = true;
    clearTimeout(this.sweeper);
  }

  /** Sweeps, then sleeps until the next deadline can lapse (nextSweepDelay); after a failure, PRESENCE_SWEEP_MS. */
  private scheduleSweep(delayMs: number): void {
    if (this.stopped) return;
    this.sweeper = setTimeout(() => {
      void (async () => {
        await this.sweep();
        let delay = this.config.PRESENCE_SWEEP_MS;
        try {
          delay = nextSweepDelay(await this.store.earliestDeadline(), Date.now(), this.config.PRESENCE_TTL_MS, this.config.PRESENCE_SWEEP_MS);
        } catch (err) {
          this.logger.warn({ err }, 'presence sweep: next deadline unknown');
        }
        this.scheduleSweep(delay);
      })();
    }, delayMs);
  }

  async report(r: LivenessReport): Promise<presence.ReportLivenessResponse> {
    const ttl = this.config.PRESENCE_TTL_MS;
    const { previousBoot } = await this.store.refresh(r.nodeId, r.bootId, ttl, this.renewEveryMs);
    // Same node id, new process: the old process's sockets are gone now, not in a TTL.
    if (previousBoot && previousBoot !== r.bootId) await this.expireOldBoot(r.nodeId, r.bootId);
    if (r.opened.length) await this.open(r.opened.map((o) => ({ ...o, nodeId: r.nodeId, boot: r.bootId })));
    for (const id of r.closed) await this.end(id, 'closed');
    let lost: string[] = [];
    if (r.shutdown) {
      for (const id of await this.store.nodeConnections(r.nodeId)) await this.end(id, 'closed');
    } else if (r.full) {
      lost = await this.resync(r.nodeId, r.held);
    }
    const held = await this.store.heldCount(r.nodeId);
    return { intervalMs: this.config.PRESENCE_LIVENESS_INTERVAL_MS, ttlMs: ttl, resync: !r.shutdown && !r.full && held !== r.count, lost };
  }

  /**
   * How often a node's deadlines are renewed, however often it reports: a renewal is at most
   * renewEvery + interval old when the next one lands, which stays under the TTL.
   */
  private get renewEveryMs(): number {
    const { PRESENCE_TTL_MS: ttl, PRESENCE_LIVENESS_INTERVAL_MS: interval } = this.config;
    return Math.max(1, Math.floor(Math.min(interval, ttl - interval) / 2));
  }

  /** Ends a connection now (admin disconnect, or a report): true when this call claimed it. */
  async end(connectionId: string, reason: GoneReason): Promise<boolean> {
    const rec = await this.store.claim(connectionId, this.config.PRESENCE_TTL_MS * 3);
    if (!rec) return false;
    await this.gone(rec, reason);
    return true;
  }

  connection(connectionId: string): Promise<ConnectionRecord | undefined> {
    return this.store.get(connectionId);
  }

  connectionsOf(userId: string): Promise<ConnectionRecord[]> {
    return this.store.ofUser(userId);
  }

  alive(ids: string[]): Promise<Set<string>> {
    return this.store.alive(ids);
  }

  /** Claims lapsed deadlines; replicas share the work, ZREM decides who handles each. */
  async sweep(now = Date.now()): Promise<number> {
    if (this.sweeping) return 0;
    this.sweeping = true;
    let n = 0;
    try {
      for (;;) {
        const ids = await this.store.lapsed(now, SWEEP_BATCH);
        for (const id of ids) if (await this.end(id, 'expired')) n++;
        if (ids.length < SWEEP_BATCH) break;
      }
    } catch (err) {
      this.logger.warn({ err }, 'presence sweep failed');
    } finally {
      this.sweeping = false;
    }
    return n;
  }

  /**
   * A report's opens as one batch (a storm's report carries hundreds): registered in order by one
   * script call, then each reaction runs once for the new ones together (ADR 0068).
   */
  private async open(recs: ConnectionRecord[]): Promise<void> {
    const results = await this.store.openMany(recs, this.config.PRESENCE_TTL_MS, this.config.SESSION_POLICY);
    const fresh: ConnectionRecord[] = [];
    results.forEach((result, i) => {
      if (!result) return;
      const replace = (victim: string, by: string) => {
        // The victim's gateway closes it on this event and then reports the close.
        this.bus.publish(subjects.conn(victim), { type: 'session.replaced', data: { by } });
        this.metrics.replaced.inc();
      };
      for (const old of result.replaced) replace(old, recs[i].connectionId);
      // Reported after a newer connection of the same device: this one is the one replaced.
      if (result.replacedBy) replace(recs[i].connectionId, result.replacedBy);
      fresh.push(recs[i]);
    });
    if (!fresh.length) return;
    for (const opened of this.opened) await opened(fresh);
  }

  private async gone(rec: ConnectionRecord, reason: GoneReason): Promise<void> {
    const { connectionId, userId, sessionId, nodeId } = rec;
    const notice: ConnGone = { connectionId, userId, sessionId, nodeId, reason };
    this.bus.publish(subjects.system('conn.gone'), { type: 'conn.gone', data: notice });
    this.metrics.gone.inc({ reason });
    for (const reaction of this.goneReactions) {
      try {
        await reaction.run(rec, reason);
      } catch (err) {
        this.logger.warn({ err, connectionId, reaction: reaction.where }, 'cleanup after conn.gone failed');
      }
    }
  }

  private async expireOldBoot(nodeId: string, boot: string): Promise<void> {
    for (const id of await this.store.nodeConnections(nodeId)) {
      const rec = await this.store.get(id);
      if (!rec || rec.boot !== boot) await this.end(id, 'expired');
    }
  }

  /** Aligns presence with the gateway's full list: extras expire; ids presence lost are returned. */
  private async resync(nodeId: string, held: string[]): Promise<string[]> {
    const wanted = new Set(held);
    for (const id of await this.store.nodeConnections(nodeId)) if (!wanted.has(id)) await this.end(id, 'expired');
    const alive = await this.store.alive(held);
    return held.filter((id) => !alive.has(id));
  }
}
