import { Injectable } from '@nestjs/common';
import { UserConnectionsStore } from './user-connections.store.js';

/**
 * The per-user connection cap (MAX_CONNECTIONS_PER_USER) as the session domain uses it: take a
 * slot on admission, refresh this replica's on the heartbeat, release on close. The store stays
 * private to the connections domain (issue 12 §2, ADR 0075).
 */
@Injectable()
export class ConnectionSlots {
  constructor(private readonly store: UserConnectionsStore) {}

  take(userId: string, connectionId: string, max: number, leaseMs: number): Promise<boolean> {
    return this.store.take(userId, connectionId, max, leaseMs);
  }

  release(userId: string, connectionId: string): Promise<void> {
    return this.store.release(userId, connectionId);
  }

  refresh(conns: { userId: string; connectionId: string }[], leaseMs: number): Promise<void> {
    return this.store.refresh(conns, leaseMs);
  }
}
