import { Inject, Injectable } from '@nestjs/common';
import { LOGGER, NATS, type Logger, type Msg, type NatsConnection, type Subscription } from '@switchboard/platform';
import { bus } from '@switchboard/proto';
import { GatewayMetrics } from '../metrics/gateway.metrics.js';
import type { Connection, DeliveredEvent } from '../connections/connection.js';

/** Subjects of stored room events (`subjects.room`): their reply subject is the stream's ack. */
const ROOM_EVENT_PREFIX = 'sb.evt.room.';
/**
 * A reply subject token (`<inbox>.refusals.…`) asking for refusals only: 'ok' goes unanswered,
 * so a published ICE candidate costs one message, not a request and its reply (ADR 0056).
 */
export const REFUSALS_ONLY = 'refusals';
const REFUSALS_ONLY_TOKEN = `.${REFUSALS_ONLY}.`;

/**
 * Returns a verdict for events sent as requests (e.g. `signal`): 'ok' or an error code; a
 * promise when the answer takes a round trip to the client (connection probes).
 */
type Verdict = string | Promise<string>;
type Listener = (conn: Connection, event: DeliveredEvent) => Verdict | void;
/** A reader of a subject's events besides its connections (the resume tails, ADR 0096). */
export type Tap = (event: DeliveredEvent) => void;
type Entry = { sub: Subscription; conns: Set<Connection>; taps: Set<Tap> };

const decoder = new TextDecoder();

export function decodeDelivered(data: Uint8Array): DeliveredEvent {
  const e = bus.Event.decode(data);
  return {
    type: e.type,
    roomId: e.roomId,
    seq: e.seq,
    ts: e.ts,
    dataJson: e.data.length ? decoder.decode(e.data) : '{}',
    excludeConnectionId: e.excludeConnectionId,
    onlyConnectionIds: e.onlyConnectionIds,
    leaveConnectionId: e.leaveConnectionId,
    leaveUserId: e.leaveUserId,
    roomClosed: e.roomClosed,
    ...(e.payload.length ? { payload: e.payload } : {}),
  };
}

/**
 * Reference-counted NATS subscriptions: this replica subscribes to a room, user or connection
 * subject only while at least one local connection needs it, so NATS interest routing
 * does the fan-out and replicas never see traffic for clients they do not hold.
 */
@Injectable()
export class Subscriptions {
  private readonly subs = new Map<string, Entry>();
  private listener?: Listener;

  constructor(
    @Inject(NATS) private readonly nc: NatsConnection,
    private readonly metrics: GatewayMetrics,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** The one receiver of every event (EventDelivery, connected by GatewayWiring); a second is refused. */
  onEvent(listener: Listener): void {
    if (this.listener) throw new Error('subscriptions already deliver to a listener');
    this.listener = listener;
  }

  acquire(subject: string, conn: Connection): void {
    this.entry(subject).conns.add(conn);
  }

  release(subject: string, conn: Connection): void {
    const entry = this.subs.get(subject);
    if (!entry) return;
    entry.conns.delete(conn);
    this.releaseIfUnused(subject, entry);
  }

  /**
   * Hands every event of `subject` to `tap` as well, holding the subscription like a connection
   * until the returned release: the resume tails follow a room through the same NATS
   * subscription (and the same decoded event) as the room's connections, not a second one that
   * NATS delivers every event to again (ADR 0096). The event object is shared: a tap must not
   * change what a connection is sent (frames built on it are shared, as among connections).
   */
  tap(subject: string, tap: Tap): () => void {
    const entry = this.entry(subject);
    entry.taps.add(tap);
    return () => {
      if (!entry.taps.delete(tap)) return;
      this.releaseIfUnused(subject, entry);
    };
  }

  private entry(subject: string): Entry {
    let entry = this.subs.get(subject);
    if (!entry) {
      const created: Entry = { conns: new Set(), taps: new Set(), sub: undefined as unknown as Subscription };
      created.sub = this.nc.subscribe(subject, { callback: (err, msg) => (err ? this.logger.warn({ err, subject }, 'subscription error') : this.dispatch(msg, created)) });
      entry = created;
      this.subs.set(subject, entry);
      this.metrics.subscriptions.set(this.subs.size);
    }
    return entry;
  }

  private releaseIfUnused(subject: string, entry: Entry): void {
    if (entry.conns.size > 0 || entry.taps.size > 0 || this.subs.get(subject) !== entry) return;
    entry.sub.unsubscribe();
    this.subs.delete(subject);
    this.metrics.subscriptions.set(this.subs.size);
  }

  /** Local connections attached to one subject (0 when not subscribed). */
  subscribers(subject: string): number {
    return this.subs.get(subject)?.conns.size ?? 0;
  }

  /** Number of subjects held (by connections or taps) and connections attached, for leak checks. */
  stats(): { subjects: number; refs: number } {
    let refs = 0;
    for (const e of this.subs.values()) refs += e.conns.size;
    return { subjects: this.subs.size, refs };
  }

  private dispatch(msg: Msg, { conns, taps }: Entry): void {
    let event: DeliveredEvent;
    try {
      event = decodeDelivered(msg.data);
    } catch (err) {
      this.logger.warn({ err, subject: msg.subject }, 'undecodable event dropped');
      return;
    }
    this.metrics.eventDelivery.observe(Math.max(0, Date.now() - event.ts) / 1000);
    for (const tap of taps) {
      try {
        tap(event);
      } catch (err) {
        this.logger.error({ err, subject: msg.subject, type: event.type }, 'event tap failed');
      }
    }
    let verdict: Verdict | void = undefined;
    for (const conn of [...conns]) {
      // One connection's failure must not cost the others their event (or kill the subscription).
      try {
        verdict = this.listener?.(conn, event) ?? verdict;
      } catch (err) {
        this.logger.error({ err, subject: msg.subject, connectionId: conn.id, type: event.type }, 'event delivery failed');
        verdict = 'internal';
      }
    }
    // Requests to a connection subject (signal, pairing, probes) learn whether the target took
    // it; a subject with no connection left (being released) has nobody to take it. A room event
    // carries a reply subject only for its stream's ack (ADR 0048): answering it would be read as one.
    if (!msg.reply || msg.subject.startsWith(ROOM_EVENT_PREFIX)) return;
    const answer = verdict ?? (conns.size ? 'ok' : 'not_found');
    const refusalsOnly = msg.reply.includes(REFUSALS_ONLY_TOKEN);
    if (typeof answer === 'string') {
      if (answer !== 'ok' || !refusalsOnly) msg.respond(answer);
    } else void answer.then((v) => (v !== 'ok' || !refusalsOnly) && msg.respond(v));
  }
}
