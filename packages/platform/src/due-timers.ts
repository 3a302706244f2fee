import type { ClaimOptions, DueStore } from './due.store.js';

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

  /** Hands each due member to `handle` (at least once: a claimer that dies leaves it to another replica after the lease). */
  sweep(handle: (member: string) => Promise<unknown>, opts?: ClaimOptions): Promise<number> {
    return this.due.sweep(this.set, handle, opts);
  }
}
