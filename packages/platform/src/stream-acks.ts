import { createInbox, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node';

export interface StreamAcksOptions {
  /** Most publishes awaiting their ack at once; more wait their turn (in order). */
  window: number;
  /** A publish not acknowledged within this long is sent again (same bytes). */
  ackTimeoutMs: number;
  /** Gives up (rejects) a publish not acknowledged this long after it was first sent. */
  giveUpMs: number;
}

interface Pending {
  subject: string;
  data: Uint8Array;
  firstAt: number;
  sentAt: number;
  resolve(): void;
  reject(err: Error): void;
}

const decoder = new TextDecoder();

/**
 * What the stream leader answered: `stored` (a PubAck, `{"stream":…,"seq":…}`), `refused` (an
 * error the stream will repeat, e.g. an event over its max_msg_size: stored never, delivered
 * live anyway), or `retry` (no leader yet / no responders: an empty 503 status, or an error with
 * code 503). Anything else on the reply subject is not the stream's answer and counts as none.
 */
function ackOutcome(m: Msg): 'stored' | 'refused' | 'retry' {
  if (!m.data.length) return 'retry';
  const text = decoder.decode(m.data);
  if (text.startsWith('{"stream"')) return 'stored';
  if (!text.startsWith('{"error"')) return 'retry';
  try {
    return (JSON.parse(text) as { error?: { code?: number } }).error?.code === 503 ? 'retry' : 'refused';
  } catch {
    return 'retry';
  }
}

/**
 * JetStream publishes without nats.js's per-message promise, timer and inbox: each message is a
 * core publish whose reply subject names it on one wildcard inbox subscription, and the stream
 * leader's PubAck settles it (docs/decisions/0048). A bounded window keeps memory and the
 * servers' ack traffic in check; one timer resends what was not acknowledged in time (a
 * stream leader election) and gives up after `giveUpMs`. A resent message that the stream had
 * stored after all is stored twice with the same room seq: gateways and resume drop the copy.
 */
export class StreamAcks {
  private readonly prefix: string;
  private readonly pending = new Map<number, Pending>();
  private readonly waiting: (() => void)[] = [];
  private readonly sub: Subscription;
  private readonly timer: NodeJS.Timeout;
  private next = 0;
  /** Events the stream refused for good (too large…): delivered live, not replayable. */
  refused = 0;

  constructor(
    private readonly nc: NatsConnection,
    inboxPrefix: string | undefined,
    private readonly opts: StreamAcksOptions,
  ) {
    // Inside the user's own inbox prefix: the only inbox its NATS permissions let it read.
    this.prefix = createInbox(inboxPrefix);
    this.sub = nc.subscribe(`${this.prefix}.*`, { callback: (err, m) => void (err || this.onAck(m)) });
    this.timer = setInterval(() => this.resend(), Math.max(50, Math.floor(opts.ackTimeoutMs / 2)));
    this.timer.unref();
  }

  /** Publishes `data` on a stream subject; resolves once the stream holds it. */
  async publish(subject: string, data: Uint8Array): Promise<void> {
    // FIFO: a publish never overtakes one already waiting for a slot (per-process seq order).
    if (this.pending.size >= this.opts.window || this.waiting.length) await new Promise<void>((r) => this.waiting.push(r));
    return new Promise<void>((resolve, reject) => {
      const id = this.next++;
      const now = Date.now();
      this.pending.set(id, { subject, data, firstAt: now, sentAt: now, resolve, reject });
      this.nc.publish(subject, data, { reply: `${this.prefix}.${id}` });
    });
  }

  get inFlight(): number {
    return this.pending.size;
  }

  /** Rejects what is still waiting and stops listening. */
  close(): void {
    clearInterval(this.timer);
    this.sub.unsubscribe();
    for (const [id, p] of this.pending) this.settle(id, p, new Error('stream publisher closed'));
  }

  private onAck(m: Msg): void {
    const id = Number(m.subject.slice(this.prefix.length + 1));
    const p = this.pending.get(id);
    if (!p) return;
    const outcome = ackOutcome(m);
    // No leader yet: left pending, the timer resends it. A refusal is final: the event went out
    // live and the stream's own limits keep it out of the replay (as with a core publish).
    if (outcome === 'refused') this.refused++;
    if (outcome !== 'retry') this.settle(id, p);
  }

  private settle(id: number, p: Pending, err?: Error): void {
    this.pending.delete(id);
    if (err) p.reject(err);
    else p.resolve();
    while (this.waiting.length && this.pending.size < this.opts.window) this.waiting.shift()!();
  }

  private resend(): void {
    const now = Date.now();
    for (const [id, p] of this.pending) {
      if (now - p.sentAt < this.opts.ackTimeoutMs) continue;
      if (now - p.firstAt >= this.opts.giveUpMs) {
        this.settle(id, p, new Error(`no stream acknowledgement for ${p.subject} within ${this.opts.giveUpMs} ms`));
        continue;
      }
      p.sentAt = now;
      this.nc.publish(p.subject, p.data, { reply: `${this.prefix}.${id}` });
    }
  }
}
