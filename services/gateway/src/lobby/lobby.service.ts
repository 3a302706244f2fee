import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { CommandBus, CONFIG, LOGGER, onSystemEvent, type Logger, type Subscription } from '@switchboard/platform';
import { ProtocolError, ROOMS_CHANGED_TOPIC, roomMatches, RoomsChangedNotice, type CommandData, type Reply, type RoomFilter, type RoomView } from '@switchboard/protocol';
import type { GatewayConfig } from '../config.js';
import type { Connection } from '../connections/connection.js';
import { GatewayMetrics } from '../metrics/gateway.metrics.js';
import { subscribeFirst } from '../routing/subscribe-first.js';
import { BeforeForward, Command } from '../wiring/decorators.js';

/**
 * Live room registry on this replica: `rooms.subscribe` watchers (one per connection) and the
 * second stage of coalescing. Rooms replicas each publish at most one notice per interval;
 * this replica merges them by room id and, once per interval, builds one `rooms.changed`
 * frame per distinct filter and sends it to its watchers — never one event per join per watcher.
 */
@Injectable()
export class LobbyService implements OnModuleInit, OnModuleDestroy {
  private readonly watchers = new Map<Connection, RoomFilter | undefined>();
  /** Latest state per room since the last flush; at most one entry per room. */
  private updated = new Map<string, RoomView>();
  private closed = new Set<string>();
  private sub?: Subscription;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly bus: CommandBus,
    private readonly metrics: GatewayMetrics,
    @Inject(CONFIG) private readonly config: GatewayConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit() {
    this.sub = onSystemEvent(this.bus, 'gateway', ROOMS_CHANGED_TOPIC, RoomsChangedNotice, async (notice) => this.merge(notice as unknown as RoomsChangedNotice), this.logger, 'every');
    this.timer = setInterval(() => this.flush(), this.config.LOBBY_INTERVAL_MS);
    this.timer.unref();
  }

  onModuleDestroy() {
    clearInterval(this.timer);
    this.sub?.unsubscribe();
  }

  get size(): number {
    return this.watchers.size;
  }

  /** Registers the watcher before the snapshot is read, so no change falls between the two. */
  @BeforeForward('rooms.subscribe')
  async subscribe(data: CommandData<'rooms.subscribe'>, conn: Connection, send: () => Promise<Reply<'rooms.subscribe'>>): Promise<Reply<'rooms.subscribe'>> {
    const had = this.watchers.has(conn);
    if (!had && this.watchers.size >= this.config.LOBBY_MAX_WATCHERS) throw new ProtocolError('unavailable', 'this server has too many room registry watchers; try another');
    const previous = this.watchers.get(conn);
    return subscribeFirst(() => {
      this.watchers.set(conn, data?.filter);
      return () => (had ? this.watchers.set(conn, previous) : this.watchers.delete(conn));
    }, send);
  }

  @Command('rooms.unsubscribe')
  unsubscribe(_data: CommandData<'rooms.unsubscribe'>, conn: Connection): Reply<'rooms.unsubscribe'> {
    this.watchers.delete(conn);
    return {};
  }

  private merge(notice: RoomsChangedNotice): void {
    if (this.watchers.size === 0) return; // nobody to tell: nothing to keep
    for (const room of notice.updated) {
      this.closed.delete(room.id);
      this.updated.set(room.id, room);
    }
    for (const id of notice.closed) {
      this.updated.delete(id);
      this.closed.add(id);
    }
  }

  /** One frame per distinct filter, sent to every watcher with it; closed connections are forgotten here. */
  flush(): void {
    for (const conn of this.watchers.keys()) if (conn.closed) this.watchers.delete(conn);
    this.metrics.lobbyWatchers.set(this.watchers.size);
    if (this.updated.size === 0 && this.closed.size === 0) return;
    const updated = [...this.updated.values()];
    const closed = [...this.closed];
    this.updated = new Map();
    this.closed = new Set();
    const frames = new Map<string, string | null>();
    const ts = Date.now();
    for (const [conn, filter] of this.watchers) {
      const key = filter ? JSON.stringify(filter) : '';
      let frame = frames.get(key);
      if (frame === undefined) {
        const mine = updated.filter((r) => roomMatches(r, filter));
        frame = mine.length || closed.length ? JSON.stringify({ type: 'rooms.changed', ts, data: { updated: mine, closed } }) : null;
        frames.set(key, frame);
      }
      if (frame && conn.sendJson(frame)) this.metrics.messagesOut.inc({ type: 'rooms.changed' });
    }
  }
}
