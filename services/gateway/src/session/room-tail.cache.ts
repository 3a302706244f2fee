import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { CONFIG, LOGGER, type Logger } from '@switchboard/platform';
import { subjects } from '@switchboard/protocol';
import type { GatewayConfig } from '../config.js';
import { eventFrameJson, type DeliveredEvent } from '../connections/connection.js';
import { GatewayMetrics } from '../metrics/gateway.metrics.js';
import { Subscriptions } from '../routing/subscriptions.js';
import { replayBytes, RoomHistoryStore } from './room-history.store.js';

/** What a cached event costs against the byte caps (the resume budget's estimate, plus its frame once built). */
const held = (e: DeliveredEvent) => replayBytes(e) + (e.payload?.length ?? 0) + (e.frame?.length ?? 0);

/** One room's recent events on this replica: the stream's retained events once, then every live one. */
export interface RoomTail {
  readonly roomId: string;
  /** Ends this tail's hold on the room subject (Subscriptions.tap). */
  release: () => void;
  /** Sorted by seq, no duplicates. */
  events: DeliveredEvent[];
  bytes: number;
  /** First seq the stream still held when read (Infinity: not read yet, or it held none). */
  firstRetained: number;
  /** Highest seq the caps dropped from the front (0: none). */
  trimmed: number;
  loaded: boolean;
  loading?: Promise<void>;
  usedAt: number;
  /** Resumes waiting for a live event still on its way (woken by every insert). */
  waiters: Set<() => void>;
}

export type TailConfig = Pick<GatewayConfig, 'RESUME_TAIL_MAX_ROOMS' | 'RESUME_TAIL_MAX_BYTES' | 'RESUME_TAIL_ROOM_MAX_EVENTS' | 'RESUME_TAIL_IDLE_MS' | 'REORDER_WINDOW_MS'>;

/**
 * Shared replay reads (ADR 0060). After a gateway dies, its clients resume on the others, many
 * of them in the same rooms and from nearby seqs; one JetStream consumer per resuming client
 * and room made NATS the bottleneck of the storm. Here each room is read from its stream once
 * per replica and kept current from the room subject (subscribed *before* the read, so read ∪
 * live is complete from the first retained event on), and every resume of that room is served
 * from memory. Bounded: per room (events, and bytes via the total), rooms, total bytes (least
 * recently used rooms go first) and idle time (a room nobody resumed for that long is dropped
 * and unsubscribed). A request reaching back before what a room's tail holds reads the stream.
 */
@Injectable()
export class RoomTailCache implements OnModuleDestroy {
  /** Map order is recency: a used room moves to the end, eviction takes from the front. */
  private readonly tails = new Map<string, RoomTail>();
  private bytes = 0;
  /**
   * What each held event was counted at against the caps: a live event is shared with the
   * room's connections (ADR 0096), whose delivery may build frames on it after it was counted.
   */
  private readonly weights = new WeakMap<DeliveredEvent, number>();
  private sweeper?: NodeJS.Timeout;

  constructor(
    private readonly subs: Subscriptions,
    private readonly history: RoomHistoryStore,
    @Inject(CONFIG) private readonly config: TailConfig,
    private readonly metrics: GatewayMetrics,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onModuleDestroy() {
    clearInterval(this.sweeper);
    for (const tail of [...this.tails.values()]) this.drop(tail);
  }

  /**
   * Starts following the room and returns its tail: call before the seat moves (and pass the
   * tail to `since`), so every event the resumed connection might miss is either in the stream
   * when it is read or arrives here live. Undefined when the cache is off.
   */
  follow(roomId: string): RoomTail | undefined {
    if (this.config.RESUME_TAIL_MAX_ROOMS === 0) return undefined;
    const tail = this.tails.get(roomId);
    if (tail) {
      this.touch(tail);
      return tail;
    }
    const created: RoomTail = {
      roomId,
      release: () => undefined,
      events: [],
      bytes: 0,
      firstRetained: Infinity,
      trimmed: 0,
      loaded: false,
      usedAt: Date.now(),
      waiters: new Set(),
    };
    // The room's connections' subscription, not one of its own (ADR 0096): one delivery and one
    // decode per event on this replica, and the event (with the frames built on it) is shared.
    created.release = this.subs.tap(subjects.room(roomId), (e) => this.onLive(created, e));
    this.tails.set(roomId, created);
    this.sweeper ??= setInterval(() => this.sweepIdle(), Math.max(100, Math.floor(this.config.RESUME_TAIL_IDLE_MS / 2)));
    this.sweeper.unref?.();
    this.evict();
    return created;
  }

  /**
   * Events of the room in (afterSeq, currentSeq], in seq order, as this replay's own copies (it
   * rewrites addressing and redacts); null when some of them are no longer retained. Later ones
   * reach the connection live (it subscribed before the seat moved). `tail` is what `follow`
   * returned before the seat moved: a tail dropped since (or none) cannot prove it saw
   * everything, and the stream is read instead — as it is when the tail lacks a seq of the
   * range for longer than the reorder window (a publisher that died between INCR and publish,
   * events missed while this replica's NATS connection was down).
   */
  async since(tail: RoomTail | undefined, roomId: string, afterSeq: number, currentSeq: number): Promise<DeliveredEvent[] | null> {
    if (currentSeq <= afterSeq) return [];
    if (!tail || this.tails.get(roomId) !== tail) return this.fromStream(roomId, afterSeq, currentSeq);
    this.touch(tail);
    if (!tail.loaded) await (tail.loading ??= this.load(tail));
    const deadline = Date.now() + this.config.REORDER_WINDOW_MS;
    let at: number;
    // Dropped meanwhile, older than the tail holds (trimmed, or the stream kept nothing), or a seq missing: the stream decides.
    while ((at = this.covering(tail, afterSeq, currentSeq)) < 0) {
      const left = deadline - Date.now();
      if (at === -2 || left <= 0 || this.tails.get(roomId) !== tail) return this.fromStream(roomId, afterSeq, currentSeq);
      await this.nextArrival(tail, left);
    }
    if (this.tails.get(roomId) !== tail) return this.fromStream(roomId, afterSeq, currentSeq);
    this.metrics.resumeHistoryReads.inc({ source: 'tail' });
    const out: DeliveredEvent[] = [];
    for (let i = at; i <= at + currentSeq - afterSeq - 1; i++) {
      const e = tail.events[i];
      // Serialized once for every connection it is replayed to (a redacted copy builds its own).
      if (!e.payload && e.frame === undefined) {
        e.frame = eventFrameJson(e);
        this.weights.set(e, (this.weights.get(e) ?? 0) + e.frame.length);
        tail.bytes += e.frame.length;
        this.bytes += e.frame.length;
      }
      out.push({ ...e });
    }
    this.evict();
    return out;
  }

  /** Rooms followed, events and bytes held (for tests and leak checks). */
  stats(): { rooms: number; events: number; bytes: number } {
    let events = 0;
    for (const t of this.tails.values()) events += t.events.length;
    return { rooms: this.tails.size, events, bytes: this.bytes };
  }

  /**
   * Index of afterSeq + 1 when the tail holds every seq of (afterSeq, currentSeq]; -1 when one
   * may still arrive live, -2 when the range starts before what the tail can prove it holds.
   */
  private covering(tail: RoomTail, afterSeq: number, currentSeq: number): number {
    if (afterSeq + 1 < this.completeFrom(tail)) return -2;
    const at = this.firstAfter(tail.events, afterSeq);
    // Sorted and unique: the range is whole when it starts at afterSeq + 1 and currentSeq sits where it should.
    return tail.events[at]?.seq === afterSeq + 1 && tail.events[at + currentSeq - afterSeq - 1]?.seq === currentSeq ? at : -1;
  }

  /** Resolves on the tail's next insert, or after `ms`. */
  private nextArrival(tail: RoomTail, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        tail.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      tail.waiters.add(done);
    });
  }

  /** Every event of the room with seq ≥ this that has reached this replica is in the tail (read from the stream, or live). */
  private completeFrom(tail: RoomTail): number {
    return tail.loaded ? Math.max(tail.firstRetained, tail.trimmed + 1) : Infinity;
  }

  private fromStream(roomId: string, afterSeq: number, currentSeq: number): Promise<DeliveredEvent[] | null> {
    this.metrics.resumeHistoryReads.inc({ source: 'stream' });
    return this.history.since(roomId, afterSeq, currentSeq);
  }

  private async load(tail: RoomTail): Promise<void> {
    this.metrics.resumeHistoryReads.inc({ source: 'stream' });
    try {
      const retained = await this.history.retained(tail.roomId);
      if (this.tails.get(tail.roomId) !== tail) return; // dropped meanwhile: nothing to fill
      for (const e of retained) this.insert(tail, e);
      tail.firstRetained = retained[0]?.seq ?? Infinity;
      tail.loaded = true;
      this.evict();
    } finally {
      tail.loading = undefined;
    }
  }

  private onLive(tail: RoomTail, e: DeliveredEvent): void {
    if (this.tails.get(tail.roomId) !== tail) return;
    if (!e.seq || e.seq <= tail.trimmed) return;
    // Its JSON frame now, before it is counted: the room's connections build the same one on this
    // shared event (once per replica, ADR 0078) and replays reuse it.
    if (!e.payload) e.frame ??= eventFrameJson(e);
    this.insert(tail, e);
    this.evict();
  }

  /** Sorted insert (live events of concurrent publishers may arrive out of order), then the room's cap. */
  private insert(tail: RoomTail, e: DeliveredEvent): void {
    const events = tail.events;
    const at = this.firstAfter(events, e.seq - 1);
    if (events[at]?.seq === e.seq || e.seq <= tail.trimmed) return;
    if (at === events.length) events.push(e);
    else events.splice(at, 0, e);
    const weight = held(e);
    this.weights.set(e, weight);
    tail.bytes += weight;
    this.bytes += weight;
    for (const wake of [...tail.waiters]) wake();
    const excess = events.length - this.config.RESUME_TAIL_ROOM_MAX_EVENTS;
    if (excess > 0) this.trim(tail, excess);
  }

  /** Drops the room's oldest events: the complete range then starts after them. */
  private trim(tail: RoomTail, count: number): void {
    const gone = tail.events.splice(0, count);
    for (const e of gone) {
      const weight = this.weights.get(e) ?? 0;
      tail.bytes -= weight;
      this.bytes -= weight;
    }
    if (gone.length) tail.trimmed = Math.max(tail.trimmed, gone[gone.length - 1].seq);
  }

  /** Index of the first event with seq > seq (binary search). */
  private firstAfter(events: DeliveredEvent[], seq: number): number {
    let lo = 0;
    let hi = events.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (events[mid].seq <= seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private touch(tail: RoomTail): void {
    tail.usedAt = Date.now();
    this.tails.delete(tail.roomId);
    this.tails.set(tail.roomId, tail);
  }

  /** Least recently used rooms go while over the room or byte cap; the last room left is trimmed instead. */
  private evict(): void {
    for (const tail of this.tails.values()) {
      if (this.tails.size <= this.config.RESUME_TAIL_MAX_ROOMS && this.bytes <= this.config.RESUME_TAIL_MAX_BYTES) return;
      if (this.tails.size === 1) break;
      this.drop(tail);
    }
    const last = this.tails.values().next().value;
    while (last && this.bytes > this.config.RESUME_TAIL_MAX_BYTES && last.events.length) this.trim(last, 1);
  }

  private sweepIdle(): void {
    const before = Date.now() - this.config.RESUME_TAIL_IDLE_MS;
    for (const tail of [...this.tails.values()]) if (tail.usedAt < before && !tail.loading) this.drop(tail);
    if (this.tails.size === 0) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  private drop(tail: RoomTail): void {
    if (this.tails.get(tail.roomId) !== tail) return;
    this.tails.delete(tail.roomId);
    this.bytes -= tail.bytes;
    tail.release();
    for (const wake of [...tail.waiters]) wake();
  }
}
