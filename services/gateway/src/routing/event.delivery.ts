import { Inject, Injectable } from '@nestjs/common';
import { CONFIG } from '@switchboard/platform';
import type { GatewayConfig } from '../config.js';
import { type Connection, type DeliveredEvent, type RoomCursor } from '../connections/connection.js';
import { ConnectionRegistry } from '../connections/connection.registry.js';
import { GatewayMetrics } from '../metrics/gateway.metrics.js';

/**
 * Delivers events to local connections. Room events go out strictly in `seq` order per
 * connection: duplicates are dropped, early arrivals wait up to REORDER_WINDOW_MS for the
 * gap to fill (replicas publish concurrently), and events not addressed to a connection
 * still advance its cursor. GatewayWiring hands it every event of every subscription.
 */
@Injectable()
export class EventDelivery {
  private readonly hooks = new Map<string, (conn: Connection, event: DeliveredEvent) => void>();
  private readonly interceptors = new Map<string, (conn: Connection, event: DeliveredEvent) => string | Promise<string>>();
  /** Events sent per type since the last flush: the counter is bumped once per type and turn, not once per socket. */
  private readonly sentByType = new Map<string, number>();
  private readonly flushSent = () => {
    for (const [type, n] of this.sentByType) this.metrics.messagesOut.inc({ type }, n);
    this.sentByType.clear();
  };

  constructor(
    private readonly registry: ConnectionRegistry,
    private readonly metrics: GatewayMetrics,
    @Inject(CONFIG) private readonly config: GatewayConfig,
  ) {}

  /** `@OnEvent` methods (GatewayWiring): reactions to control events (e.g. session.replaced) addressed to a connection. */
  on(type: string, hook: (conn: Connection, event: DeliveredEvent) => void): void {
    if (this.hooks.has(type)) throw new Error(`a hook for ${type} events is already registered`);
    this.hooks.set(type, hook);
  }

  /**
   * `@InterceptEvent` methods (GatewayWiring): take over delivery of one event type (checks before the client sees it); the returned
   * verdict ('ok' or an error code) answers events that were sent as requests.
   */
  intercept(type: string, interceptor: (conn: Connection, event: DeliveredEvent) => string | Promise<string>): void {
    if (this.interceptors.has(type)) throw new Error(`an interceptor for ${type} events is already registered`);
    this.interceptors.set(type, interceptor);
  }

  deliver(conn: Connection, event: DeliveredEvent): string | Promise<string> | void {
    if (conn.closed) return 'not_found';
    const interceptor = this.interceptors.get(event.type);
    if (interceptor) return interceptor(conn, event);
    const cursor = event.roomId && event.seq ? conn.rooms.get(event.roomId) : undefined;
    if (!cursor) {
      if (event.roomId && event.seq) return; // not (or no longer) in this room
      this.emit(conn, event);
      return;
    }
    if (cursor.lastSeq === null) {
      cursor.early.push(event);
      return;
    }
    if (event.seq <= cursor.lastSeq) return;
    if (event.seq === cursor.lastSeq + 1) {
      this.advance(conn, cursor, event);
      return;
    }
    cursor.ahead.set(event.seq, event);
    cursor.gapTimer ??= setTimeout(() => this.skipGap(conn, event.roomId), this.config.REORDER_WINDOW_MS);
  }

  /** Completes a join: the cursor starts at the join's seq and held events are replayed. */
  joined(conn: Connection, roomId: string, seq: number): void {
    const cursor = conn.rooms.get(roomId);
    if (!cursor || cursor.lastSeq !== null) return;
    cursor.lastSeq = seq;
    const early = cursor.early.sort((a, b) => a.seq - b.seq);
    cursor.early = [];
    // Interceptors answer requests; replayed early events are not requests, so no verdict is awaited.
    for (const e of early) void this.deliver(conn, e);
  }

  private advance(conn: Connection, cursor: RoomCursor, event: DeliveredEvent): void {
    cursor.lastSeq = event.seq;
    this.emit(conn, event);
    let next: DeliveredEvent | undefined;
    while (conn.rooms.get(event.roomId) === cursor && (next = cursor.ahead.get(cursor.lastSeq + 1))) {
      cursor.ahead.delete(next.seq);
      cursor.lastSeq = next.seq;
      this.emit(conn, next);
    }
    if (cursor.ahead.size === 0) {
      clearTimeout(cursor.gapTimer);
      cursor.gapTimer = undefined;
    }
  }

  /** The missing seq never came (its publisher died between INCR and publish): move on. */
  private skipGap(conn: Connection, roomId: string): void {
    const cursor = conn.rooms.get(roomId);
    if (!cursor || cursor.ahead.size === 0 || cursor.lastSeq === null) return;
    cursor.gapTimer = undefined;
    // The missing event may have been this connection's removal: the gateway stops vouching for its seat.
    cursor.missedEvents = true;
    this.metrics.reorderGaps.inc();
    const first = Math.min(...cursor.ahead.keys());
    const event = cursor.ahead.get(first)!;
    cursor.ahead.delete(first);
    this.advance(conn, cursor, event);
    if (cursor.ahead.size) cursor.gapTimer = setTimeout(() => this.skipGap(conn, roomId), this.config.REORDER_WINDOW_MS);
  }

  /** Sends one event to a connection now, honouring its addressing (resume replays use this). */
  emit(conn: Connection, event: DeliveredEvent): void {
    const addressed = event.excludeConnectionId !== conn.id && (event.onlyConnectionIds.length === 0 || event.onlyConnectionIds.includes(conn.id));
    if (addressed) {
      if (conn.sendEvent(event)) this.countSent(event.type);
      this.hooks.get(event.type)?.(conn, event);
    }
    // The envelope says who no longer belongs to the room (set by the publisher from EVENTS).
    if (event.roomId && (event.roomClosed || event.leaveConnectionId === conn.id || (!!event.leaveUserId && event.leaveUserId === conn.userId))) {
      this.registry.leaveRoom(conn, event.roomId);
    }
  }

  /** prom-client hashes the labels on every `inc`: per socket that was a visible share of a fan-out. */
  private countSent(type: string): void {
    if (this.sentByType.size === 0) queueMicrotask(this.flushSent);
    this.sentByType.set(type, (this.sentByType.get(type) ?? 0) + 1);
  }
}
