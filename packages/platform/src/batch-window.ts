/**
 * Runs `flush` once per window however often `request()` is called in it: at the end of the
 * current event-loop turn when `windowMs` is 0, else `windowMs` after the first request. The
 * gateway's batched requests share it (presence reports directly; ICE credentials and rooms and media resumes through TurnBatcher), so a
 * connect storm costs one request per window instead of one per connect or per turn (ADR 0080).
 */
export class FlushWindow {
  private pending?: { timer: NodeJS.Timeout } | { immediate: NodeJS.Immediate };

  constructor(
    private readonly windowMs: number,
    private readonly flush: () => void,
  ) {}

  /** Schedules the flush unless one is already scheduled. */
  request(): void {
    if (this.pending) return;
    const run = () => {
      this.pending = undefined;
      this.flush();
    };
    this.pending = this.windowMs > 0 ? { timer: setTimeout(run, this.windowMs) } : { immediate: setImmediate(run) };
  }

  /** Drops a scheduled flush (on shutdown). */
  cancel(): void {
    if (!this.pending) return;
    if ('timer' in this.pending) clearTimeout(this.pending.timer);
    else clearImmediate(this.pending.immediate);
    this.pending = undefined;
  }

  get scheduled(): boolean {
    return this.pending !== undefined;
  }
}
