import type { NatsConnection } from '@nats-io/transport-node';

/** How a connection hands its outbound buffer to the socket (NATS_WRITES, ADR 0082). */
export type NatsWrites = 'turn' | 'microtask';

/** The part of nats.js's ProtocolHandler this touches (nats-core 3.x, `nc.protocol`). */
interface ProtocolWrites {
  flushPending(): void;
  close(err?: Error): Promise<void>;
}

/**
 * One socket write per event-loop turn instead of one per microtask checkpoint (ADR 0082).
 *
 * nats.js queues every command in an outbound buffer and writes it in a microtask. Node drains
 * microtasks after every I/O callback, so a process that handles 30 socket reads in one poll
 * phase (30 upgrades, 30 frames, 30 NATS messages) writes to NATS 30 times: 30 syscalls here and
 * 30 wake-ups of the NATS server, each carrying a message or two. Deferring the write to the
 * check phase (`setImmediate`) sends what the whole turn queued in one write, in the same order.
 * ADR 0067 did this by hand for the gateway's signals; this does it for every publish, request,
 * reply and (un)subscribe of the connection. A close writes what is queued first (nats.js's own
 * close does not flush), so nothing queued before it is dropped.
 *
 * nats.js has no option for this; it relies on `protocol.flushPending` (the only path from the
 * outbound buffer to the socket besides re-subscription after a reconnect). When the internals
 * are not there (a nats.js upgrade changed them) the connection is left as it is: the writes go
 * out per microtask, as before, and `false` says so.
 */
export function writePerTurn(nc: NatsConnection): boolean {
  const protocol = (nc as unknown as { protocol?: Partial<ProtocolWrites> }).protocol;
  if (typeof protocol?.flushPending !== 'function' || typeof protocol.close !== 'function') return false;
  const p = protocol as ProtocolWrites;
  const flushNow = p.flushPending.bind(p);
  const closeNow = p.close.bind(p);
  let scheduled: NodeJS.Immediate | undefined;
  let closing = false;
  const run = () => {
    scheduled = undefined;
    flushNow();
  };
  p.flushPending = () => {
    // Once closing, at once: the close writes no buffer of its own (its microtasks still queue commands).
    if (closing) flushNow();
    else scheduled ??= setImmediate(run);
  };
  p.close = (err?: Error) => {
    closing = true;
    if (scheduled) clearImmediate(scheduled);
    run();
    return closeNow(err);
  };
  return true;
}
