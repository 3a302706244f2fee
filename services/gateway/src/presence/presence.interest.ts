import { Injectable, type OnModuleInit } from '@nestjs/common';
import { ProtocolError, subjects, type Reply } from '@switchboard/protocol';
import { CommandHooks } from '../commands/command.hooks.js';
import type { Connection } from '../connections/connection.js';
import { EventDelivery } from '../routing/event.delivery.js';
import { Subscriptions } from '../routing/subscriptions.js';


/** Bounds the NATS interest one socket can create. */
export const MAX_WATCHED_PER_CONNECTION = 5000;

/**
 * The replica's side of presence: subscribes `sb.evt.presence.<user>` for the users each
 * local connection watches (so NATS only routes changes to replicas with watchers), and
 * closes sockets the presence service ends (`session.replaced`, `session.closed`).
 */
@Injectable()
export class PresenceInterest implements OnModuleInit {
  private readonly watched = new Map<Connection, Set<string>>();

  constructor(
    private readonly hooks: CommandHooks,
    private readonly subs: Subscriptions,
    private readonly delivery: EventDelivery,
  ) {}

  onModuleInit() {
    this.hooks.register('presence.subscribe', (conn, data, send) => this.subscribe(conn, data.userIds, send));
    this.hooks.register('presence.unsubscribe', (conn, data, send) => {
      this.release(conn, data.userIds);
      return send();
    });
    // The event has been written to the socket when hooks run: the client learns why, then the close.
    this.delivery.on('session.replaced', (conn) => conn.close(4002, 'replaced', 'replaced'));
    this.delivery.on('session.closed', (conn) => conn.close(4003, 'disconnected', 'admin_disconnect'));
  }

  /** Interest goes first, so no change published between the snapshot and the subscription is lost. */
  private async subscribe(conn: Connection, userIds: string[], send: () => Promise<Reply<'presence.subscribe'>>): Promise<Reply<'presence.subscribe'>> {
    const mine = this.watched.get(conn) ?? new Set<string>();
    const added = [...new Set(userIds)].filter((u) => !mine.has(u));
    if (mine.size + added.length > MAX_WATCHED_PER_CONNECTION) throw new ProtocolError('bad_request', `a connection may watch at most ${MAX_WATCHED_PER_CONNECTION} users`);
    for (const u of added) {
      mine.add(u);
      this.subs.acquire(subjects.presence(u), conn);
    }
    this.watched.set(conn, mine);
    try {
      return await send();
    } catch (err) {
      this.release(conn, added);
      throw err;
    }
  }

  private release(conn: Connection, userIds: string[]): void {
    const mine = this.watched.get(conn);
    if (!mine) return;
    for (const u of userIds) if (mine.delete(u)) this.subs.release(subjects.presence(u), conn);
    if (mine.size === 0) this.watched.delete(conn);
  }

  /** Lets go of everything a closed connection watched. */
  drop(conn: Connection): void {
    const mine = this.watched.get(conn);
    if (mine) this.release(conn, [...mine]);
  }
}
