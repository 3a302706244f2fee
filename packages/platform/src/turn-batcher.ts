import { FlushWindow } from './batch-window.js';

/** One item's outcome in a batch reply: its value, or the error its own request would have had. */
export type BatchOutcome<R> = { ok: R } | { error: Error };

export interface TurnBatcherOptions<I, R> {
  /** Items per batch at most (a larger turn is split, in order). */
  max: number;
  /** Sends one batch; answers one outcome per item, in order. A rejection fails every item of that batch. */
  send: (items: I[]) => Promise<BatchOutcome<R>[]>;
  /** An item's weight against `maxWeight` (e.g. the rooms one resume names); 1 when absent. */
  weight?: (item: I) => number;
  /** Total weight per batch at most; a single item heavier than it still goes, alone. */
  maxWeight?: number;
  /** Collect for this long after the first item; 0 (default): until the end of the event-loop turn. */
  windowMs?: number;
}

interface Queued<I, R> {
  item: I;
  resolve: (r: R) => void;
  reject: (err: unknown) => void;
}

/**
 * Collects the requests of one event-loop turn and sends them as batches (ADRs 0070, 0081): in a
 * storm, one internal request per client costs a NATS round trip, a span and a command envelope
 * on both sides each; one request per turn costs them once. Each item settles with its own
 * outcome, so one failing item fails no other; a batch that fails as a whole (transport,
 * timeout) rejects each of its items with that error.
 */
export class TurnBatcher<I, R> {
  private queued: Queued<I, R>[] = [];
  // setImmediate (window 0), not a microtask: every frame read in this turn joins the batch.
  private readonly window: FlushWindow;

  constructor(private readonly opts: TurnBatcherOptions<I, R>) {
    this.window = new FlushWindow(opts.windowMs ?? 0, () => this.flush());
  }

  add(item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queued.push({ item, resolve, reject });
      this.window.request();
    });
  }

  private flush(): void {
    const all = this.queued;
    this.queued = [];
    const { max, weight, maxWeight = Infinity } = this.opts;
    let batch: Queued<I, R>[] = [];
    let load = 0;
    for (const q of all) {
      const w = weight?.(q.item) ?? 1;
      if (batch.length && (batch.length >= max || load + w > maxWeight)) {
        void this.send(batch);
        batch = [];
        load = 0;
      }
      batch.push(q);
      load += w;
    }
    if (batch.length) void this.send(batch);
  }

  private async send(batch: Queued<I, R>[]): Promise<void> {
    let outcomes: BatchOutcome<R>[];
    try {
      outcomes = await this.opts.send(batch.map((q) => q.item));
      if (outcomes.length !== batch.length) throw new Error(`batch answered ${outcomes.length} outcomes for ${batch.length} items`);
    } catch (err) {
      for (const q of batch) q.reject(err);
      return;
    }
    batch.forEach((q, i) => {
      const o = outcomes[i];
      if ('ok' in o) q.resolve(o.ok);
      else q.reject(o.error);
    });
  }
}
