import type { DueStore } from './due.store.js';

/** The timers of one kind (one sorted set of a DueStore), e.g. ring deadlines or vanished call legs. */
export class DueTimers {
  constructor(
    private readonly due: DueStore,
    readonly set: string,
  ) {}

  schedule(member: string, dueAt: number): Promise<void> {
    return this.due.schedule(this.set, member, dueAt);
  }

  cancel(member: string): Promise<void> {
    return this.due.cancel(this.set, member);
  }

  /** Members due by `now`, each handed to exactly one replica. */
  claimDue(now = Date.now()): Promise<string[]> {
    return this.due.claimDue(this.set, now);
  }
}
