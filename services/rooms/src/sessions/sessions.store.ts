import { Injectable } from '@nestjs/common';
import { DueStore } from '@switchboard/platform';

/** Sorted set of vanished connection ids, score = when their seats are given up. */
const CONN_DUE = 'sb:rooms:conn_gone_due';

/** Pending removals of vanished connections, in Redis so any replica (or a restarted one) acts. */
@Injectable()
export class SessionsStore {
  constructor(private readonly due: DueStore) {}

  scheduleRemoval(connectionId: string, dueAt: number): Promise<void> {
    return this.due.schedule(CONN_DUE, connectionId, dueAt);
  }

  /** Hands each connection whose grace is over to `remove`; one whose remover dies is handed out again after the lease. */
  sweepDueRemovals(remove: (connectionId: string) => Promise<void>): Promise<number> {
    return this.due.sweep(CONN_DUE, remove);
  }
}
