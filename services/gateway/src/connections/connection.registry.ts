import { Injectable } from '@nestjs/common';
import { subjects } from '@switchboard/protocol';
import { GatewayMetrics } from '../metrics/gateway.metrics.js';
import { Subscriptions } from '../routing/subscriptions.js';
import type { Connection, RoomCursor } from './connection.js';

/**
 * The replica's local table: connection → user/rooms, and the subject interest that follows
 * from it. Nothing here outlives a connection; losing it loses nothing another replica needs.
 */
@Injectable()
export class ConnectionRegistry {
  private readonly byId = new Map<string, Connection>();
  private readonly byUser = new Map<string, Set<Connection>>();
  private readonly removeListeners: ((conn: Connection) => void)[] = [];
  private readonly leaveListeners: ((conn: Connection, roomId: string) => unknown)[] = [];

  constructor(
    private readonly subs: Subscriptions,
    private readonly metrics: GatewayMetrics,
  ) {
    metrics.connectionsFrom(() => this.byId.values());
  }

  add(conn: Connection): void {
    this.byId.set(conn.id, conn);
    let set = this.byUser.get(conn.userId);
    if (!set) this.byUser.set(conn.userId, (set = new Set()));
    set.add(conn);
    this.subs.acquire(subjects.conn(conn.id), conn);
    this.subs.acquire(subjects.user(conn.userId), conn);
    this.metrics.connections.set(this.byId.size);
  }

  /** Domains clean up what they keep per connection (pairing codes, presence interest). */
  onRemove(listener: (conn: Connection) => void): void {
    this.removeListeners.push(listener);
  }

  /** Domains clean up what they keep per connection and room (a talk spurt) when it leaves the room. */
  onLeave(listener: (conn: Connection, roomId: string) => unknown): void {
    this.leaveListeners.push(listener);
  }

  remove(conn: Connection): void {
    if (!this.byId.delete(conn.id)) return;
    for (const listener of this.removeListeners) listener(conn);
    const set = this.byUser.get(conn.userId);
    set?.delete(conn);
    if (set?.size === 0) this.byUser.delete(conn.userId);
    for (const roomId of [...conn.rooms.keys()]) this.leaveRoom(conn, roomId);
    this.subs.release(subjects.conn(conn.id), conn);
    this.subs.release(subjects.user(conn.userId), conn);
    conn.dispose();
    this.metrics.connections.set(this.byId.size);
  }

  get(id: string): Connection | undefined {
    return this.byId.get(id);
  }

  ofUser(userId: string): Connection[] {
    return [...(this.byUser.get(userId) ?? [])];
  }

  all(): Connection[] {
    return [...this.byId.values()];
  }

  get size(): number {
    return this.byId.size;
  }

  /**
   * Starts following a room before the join command is sent, so no event published between
   * the service's join and our subscription can slip past; events are held until the reply.
   */
  beginJoin(conn: Connection, roomId: string): RoomCursor | undefined {
    // A reply can arrive after its socket closed: a closed connection must not take new interest.
    if (conn.closed) return undefined;
    let cursor = conn.rooms.get(roomId);
    if (cursor) return cursor;
    cursor = { lastSeq: null, early: [], ahead: new Map() };
    conn.rooms.set(roomId, cursor);
    this.subs.acquire(subjects.room(roomId), conn);
    // Ephemeral events (typing, broadcasts): no seq, delivered as they come.
    this.subs.acquire(subjects.live(roomId), conn);
    return cursor;
  }

  leaveRoom(conn: Connection, roomId: string): void {
    const cursor = conn.rooms.get(roomId);
    if (!cursor) return;
    clearTimeout(cursor.gapTimer);
    conn.rooms.delete(roomId);
    this.subs.release(subjects.room(roomId), conn);
    this.subs.release(subjects.live(roomId), conn);
    for (const listener of this.leaveListeners) listener(conn, roomId);
  }
}
