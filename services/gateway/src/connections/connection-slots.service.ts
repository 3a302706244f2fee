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

  take(...args: Parameters<UserConnectionsStore['take']>) {
    return this.store.take(...args);
  }

  release(...args: Parameters<UserConnectionsStore['release']>) {
    return this.store.release(...args);
  }

  refresh(...args: Parameters<UserConnectionsStore['refresh']>) {
    return this.store.refresh(...args);
  }
}
