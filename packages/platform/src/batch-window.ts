/**
 * Runs `flush` once per window however often `request()` is called in it: at the end of the
 * current event-loop turn when `windowMs` is 0, else `windowMs` after the first request. The
 * gateway's batched requests (ICE credentials, presence reports, media resumes) share it, so a
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

/**
 * Collects items and hands them to `send` in chunks of at most `max`, once per window
 * (FlushWindow). `send` is not awaited: chunks of one window go out together.
 */
export class Batcher<T> {
  private queued: T[] = [];
  private readonly window: FlushWindow;

  constructor(opts: { windowMs: number; max: number; send: (batch: T[]) => void }) {
    this.window = new FlushWindow(opts.windowMs, () => {
      const batch = this.queued;
      this.queued = [];
      for (let i = 0; i < batch.length; i += opts.max) opts.send(batch.slice(i, i + opts.max));
    });
  }

  add(item: T): void {
    this.queued.push(item);
    this.window.request();
  }

  /** Items waiting for the window to end. */
  get size(): number {
    return this.queued.length;
  }
}
