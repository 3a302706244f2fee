import { Injectable } from '@nestjs/common';
import { ProtocolError, subjects, type CommandData, type Reply } from '@switchboard/protocol';
import type { Connection } from '../connections/connection.js';
import { subscribeFirst } from '../routing/subscribe-first.js';
import { Subscriptions } from '../routing/subscriptions.js';
import { BeforeForward } from '../wiring/decorators.js';

/** Bounds the NATS interest one socket can create. */
export const MAX_WATCHED_PER_CONNECTION = 5000;

/**
 * The replica's side of presence: subscribes `sb.evt.presence.<user>` for the users each
 * local connection watches (so NATS only routes changes to replicas with watchers).
 */
@Injectable()
export class PresenceInterest {
  private readonly watched = new Map<Connection, Set<string>>();

  constructor(private readonly subs: Subscriptions) {}

  /** Interest goes first, so no change published between the snapshot and the subscription is lost. */
  @BeforeForward('presence.subscribe')
  async subscribe({ userIds }: CommandData<'presence.subscribe'>, conn: Connection, send: () => Promise<Reply<'presence.subscribe'>>): Promise<Reply<'presence.subscribe'>> {
    const mine = this.watched.get(conn) ?? new Set<string>();
    const added = [...new Set(userIds)].filter((u) => !mine.has(u));
    if (mine.size + added.length > MAX_WATCHED_PER_CONNECTION) throw new ProtocolError('bad_request', `a connection may watch at most ${MAX_WATCHED_PER_CONNECTION} users`);
    return subscribeFirst(() => {
      for (const u of added) {
        mine.add(u);
        this.subs.acquire(subjects.presence(u), conn);
      }
      this.watched.set(conn, mine);
      return () => this.release(conn, added);
    }, send);
  }

  @BeforeForward('presence.unsubscribe')
  async unsubscribe({ userIds }: CommandData<'presence.unsubscribe'>, conn: Connection, send: () => Promise<Reply<'presence.unsubscribe'>>): Promise<Reply<'presence.unsubscribe'>> {
    this.release(conn, userIds);
    return send();
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
