/**
 * One sender connection's (target, room) pairs whose replica accepted a signal from it within
 * `ttlMs`: ICE candidates to them are published without waiting for a verdict (ADR 0056).
 * Bounded (`max`, oldest out first) because a client picks its targets; a pair is dropped on
 * any refusal, so the next candidate asks again and gets the synchronous answer.
 */
export class TrustedTargets {
  /** key → expiry (ms since the epoch); Map order is insertion order, so the first key is the oldest. */
  private readonly until = new Map<string, number>();

  constructor(
    private readonly max: number,
    private readonly ttlMs: number,
  ) {}

  static key(to: string, roomId: string | undefined): string {
    return roomId ? `${to} ${roomId}` : to;
  }

  has(key: string, now = Date.now()): boolean {
    const t = this.until.get(key);
    if (t === undefined) return false;
    if (t > now) return true;
    this.until.delete(key);
    return false;
  }

  trust(key: string, now = Date.now()): void {
    if (this.max === 0 || this.ttlMs === 0) return;
    this.until.delete(key);
    this.until.set(key, now + this.ttlMs);
    if (this.until.size > this.max) this.until.delete(this.until.keys().next().value!);
  }

  /** Forgets one (target, room) pair. */
  drop(key: string): void {
    this.until.delete(key);
  }

  /** Forgets a target in every room (it is connected nowhere any more). */
  dropTarget(to: string): void {
    for (const key of this.until.keys()) if (key === to || key.startsWith(`${to} `)) this.until.delete(key);
  }

  get size(): number {
    return this.until.size;
  }
}
