import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { CommandBus, CONFIG, FlushWindow, LOGGER, newId, serviceCaller, type Logger } from '@switchboard/platform';
import type { presence } from '@switchboard/proto';
import type { GatewayConfig } from '../config.js';
import type { Connection } from '../connections/connection.js';
import { ConnectionRegistry } from '../connections/connection.registry.js';
import { BeforeForward } from '../wiring/decorators.js';
import { PresenceInterest } from './presence.interest.js';

/** Until presence says otherwise (every reply carries its interval). */
const DEFAULT_INTERVAL_MS = 10_000;
const RETRY_MS = 1000;
/** Keeps one report well under NATS's default 1 MiB payload. */
const MAX_BATCH = 5000;
/** The longest a report waits for its pace (ADR 0098): later visibility of a new connection stays below this. */
const MAX_PACE_MS = 25;

/**
 * Tells presence which connections this replica holds: opens and closes are coalesced per
 * window (PRESENCE_REPORT_WINDOW_MS, ADR 0080) into one `liveness.report`, one report in flight at
 * a time and back-to-back ones paced by their round trip (ADR 0098), and the same call, sent at least once per interval,
 * renews the liveness of every connection here. One call per replica per interval, however
 * many sockets; if this process dies the reports stop and presence expires its connections.
 * Failed batches are kept and resent in order (presence treats repeats as no-ops).
 */
@Injectable()
export class PresenceReporter implements OnApplicationBootstrap, OnApplicationShutdown {
  /** Random per process: a restart under the same NODE_ID expires the old process's connections. */
  readonly bootId = newId('b', 9);
  private readonly live = new Set<string>();
  private pendingOpened: presence.OpenedConnection[] = [];
  private pendingClosed: string[] = [];
  private intervalMs = DEFAULT_INTERVAL_MS;
  private resync = false;
  private timer?: NodeJS.Timeout;
  /** The paced report's timer, when one waits. */
  private paceTimer?: NodeJS.Timeout;
  /** `performance.now()` before which a report leaves only when asked for at once (one round trip after the last reply). */
  private nextAt = 0;
  /** The next report of opens and closes; waits for the window so a storm's connects share one. */
  private readonly soon: FlushWindow;
  private inflight?: Promise<boolean>;
  /** The opens of the report in flight. */
  private reporting = new Set<string>();
  private stopped = false;

  constructor(
    private readonly bus: CommandBus,
    private readonly registry: ConnectionRegistry,
    private readonly interest: PresenceInterest,
    @Inject(CONFIG) private readonly config: GatewayConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.soon = new FlushWindow(config.PRESENCE_REPORT_WINDOW_MS, () => void this.flush());
  }

  onApplicationBootstrap() {
    void this.tick();
  }

  /** Last words on a clean stop: presence ends every connection of this node now. */
  async onApplicationShutdown() {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.paceTimer);
    this.soon.cancel();
    await this.inflight;
    await this.send({ shutdown: true }).catch(() => undefined);
  }

  opened(conn: Connection): void {
    this.live.add(conn.id);
    this.pendingOpened.push({ connectionId: conn.id, userId: conn.userId, sessionId: conn.sessionId, device: conn.identity.device, connectedAt: conn.openedAt });
    this.flushSoon();
  }

  closed(conn: Connection): void {
    this.interest.drop(conn);
    if (!this.live.delete(conn.id)) return;
    this.pendingClosed.push(conn.id);
    this.flushSoon();
  }

  /**
   * Verbs whose effect other clients read through the caller's liveness (a registered relay or
   * rendezvous entry is offered only while its connection is alive): the caller's open is
   * reported before them, so a peer asking right after never misses an entry for a connection
   * still waiting in the window (ADR 0080).
   */
  @BeforeForward('relay.register')
  @BeforeForward('rendezvous.register')
  async reportedFirst<R>(_data: unknown, conn: Connection, send: () => Promise<R>): Promise<R> {
    await this.reported(conn);
    return send();
  }

  /** Resolves once presence has had this connection's open (at once when it already has). */
  private async reported(conn: Connection): Promise<void> {
    const waiting = () => this.pendingOpened.some((o) => o.connectionId === conn.id) || this.reporting.has(conn.id);
    // A failed report keeps the open queued: give up then, the command still goes (presence answers it).
    while (waiting() && !this.stopped) if (!(await this.flush('now'))) return;
  }

  private flushSoon(): void {
    if (!this.stopped) this.soon.request();
  }

  /** The periodic report; also sent right away at start so presence knows this boot. */
  private async tick(): Promise<void> {
    const ok = await this.flush('always');
    if (!this.stopped) this.timer = setTimeout(() => void this.tick(), ok ? this.intervalMs : Math.min(this.intervalMs, RETRY_MS));
  }

  /**
   * One report at a time, in order; resolves false when it failed (its batch stays queued).
   * `always`: the periodic report, sent even with nothing new. Otherwise only what is queued goes:
   * a storm's turns each ask for a flush, and the first one after a report takes everything queued
   * meanwhile. `paced` (opens and closes): a report leaves no sooner than one round trip after the
   * last reply (at most MAX_PACE_MS), so back-to-back reports under load carry twice the opens each
   * and presence handles half as many; a report after a quiet spell leaves at once (ADR 0098).
   */
  private async flush(mode: 'paced' | 'now' | 'always' = 'paced'): Promise<boolean> {
    while (this.inflight) await this.inflight;
    if (this.stopped) return false;
    if (mode !== 'always' && !this.resync && !this.pendingOpened.length && !this.pendingClosed.length) return true;
    if (mode === 'paced') {
      const wait = this.nextAt - performance.now();
      if (wait > 0) {
        this.paceTimer ??= setTimeout(() => {
          this.paceTimer = undefined;
          void this.flush();
        }, Math.ceil(wait));
        return true;
      }
    }
    this.inflight = this.report().finally(() => (this.inflight = undefined));
    const ok = await this.inflight;
    if (ok && (this.pendingOpened.length || this.pendingClosed.length)) this.flushSoon();
    return ok;
  }

  private async report(): Promise<boolean> {
    const opened = this.pendingOpened.splice(0, MAX_BATCH);
    const closed = this.pendingClosed.splice(0, MAX_BATCH);
    const full = this.resync;
    this.reporting = new Set(opened.map((o) => o.connectionId));
    const started = performance.now();
    try {
      const reply = await this.send({ opened, closed, ...(full ? { full, held: [...this.live] } : {}) });
      const now = performance.now();
      this.nextAt = now + Math.min(now - started, MAX_PACE_MS);
      this.intervalMs = reply.intervalMs > 0 ? reply.intervalMs : DEFAULT_INTERVAL_MS;
      this.resync = reply.resync;
      // Presence already ended these (e.g. expired during a partition): make the clients come back.
      for (const id of reply.lost ?? []) this.registry.get(id)?.close(1012, 'presence lost', 'presence_lost');
      return true;
    } catch (err) {
      this.pendingOpened.unshift(...opened);
      this.pendingClosed.unshift(...closed);
      this.logger.debug({ err: (err as Error).message }, 'presence liveness report failed; will retry');
      return false;
    } finally {
      this.reporting = new Set();
    }
  }

  private send(body: Partial<presence.ReportLivenessRequest>): Promise<presence.ReportLivenessResponse> {
    const count = this.live.size - this.pendingOpened.length + this.pendingClosed.length;
    return this.bus.request('presence', 'liveness.report', serviceCaller('gateway', this.config.NODE_ID), { nodeId: this.config.NODE_ID, bootId: this.bootId, count, ...body });
  }
}
