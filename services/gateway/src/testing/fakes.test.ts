// Fakes for the gateway's unit tier (named *.test.ts so neither tsc's build nor vitest's spec
// glob picks it up). They follow the real contracts: FakeNats delivers protobuf bus events to
// subscribers like NATS core (exact subjects, replies through `respond`), FakeSocket holds the
// `ws` fields a Connection reads.
import { createMetricsRegistry, type Logger, type Msg, type NatsConnection, type Subscription } from '@switchboard/platform';
import { bus } from '@switchboard/proto';
import type { LooseJson } from '@switchboard/testing/json';
import WebSocket from 'ws';
import { gatewayConfigSchema, type GatewayConfig } from '../config.js';
import { Connection } from '../connections/connection.js';
import { GatewayMetrics } from '../metrics/gateway.metrics.js';

export const silentLogger = { warn: () => undefined, error: () => undefined, info: () => undefined, debug: () => undefined } as unknown as Logger;

export const gatewayConfig = (over: Partial<Record<keyof GatewayConfig, string>> = {}): GatewayConfig =>
  gatewayConfigSchema.parse({ JWT_SECRET: 'unit-secret-unit-secret-unit-secret', GRPC_AUTH_SECRET: 'unit-grpc-secret-unit-grpc-secret', NATS_URL: 'nats://127.0.0.1:1', REDIS_URL: 'redis://127.0.0.1:1', ...over });

export const metrics = () => new GatewayMetrics(createMetricsRegistry('gateway', 'unit'));

/** What a Connection needs of a `ws` socket; sent frames are kept, parsed. */
export class FakeSocket {
  readyState: number = WebSocket.OPEN;
  bufferedAmount = 0;
  protocol = '';
  readonly sent: LooseJson[] = [];
  closedWith?: { code: number; reason: string };
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  close(code: number, reason: string) {
    this.closedWith = { code, reason };
    this.readyState = WebSocket.CLOSED;
  }
  terminate() {
    this.readyState = WebSocket.CLOSED;
  }
}

let n = 0;
export function connection(userId = 'alice', rate = { perSec: 1000, burst: 1000 }): { conn: Connection; socket: FakeSocket } {
  const socket = new FakeSocket();
  const conn = new Connection(`c${++n}`, `s${n}`, { userId, name: userId, device: '', roles: [], exp: Date.now() / 1000 + 3600 }, 'gw-unit', socket as unknown as WebSocket, rate);
  return { conn, socket };
}

export interface FakeMsg extends Msg {
  answers: string[];
}

/** NATS core as far as the gateway's subscriptions use it: exact subjects, callbacks, replies. */
export class FakeNats {
  private readonly subs = new Map<string, Set<{ callback: (err: Error | null, msg: Msg) => void; closed: boolean }>>();

  subscribe(subject: string, opts: { callback: (err: Error | null, msg: Msg) => void }): Subscription {
    const entry = { callback: opts.callback, closed: false };
    const set = this.subs.get(subject) ?? new Set();
    set.add(entry);
    this.subs.set(subject, set);
    return {
      unsubscribe: () => {
        entry.closed = true;
        set.delete(entry);
        if (set.size === 0) this.subs.delete(subject);
      },
    } as unknown as Subscription;
  }

  /** Subjects with at least one live subscription. */
  subjects(): string[] {
    return [...this.subs.keys()];
  }

  /** Delivers raw bytes to a subject's subscribers; with `reply`, the answers they respond with. */
  deliver(subject: string, data: Uint8Array, reply?: string): FakeMsg {
    const answers: string[] = [];
    const msg = { subject, data, reply, respond: (d: string) => (answers.push(d), true), answers } as unknown as FakeMsg;
    for (const s of [...(this.subs.get(subject) ?? [])]) s.callback(null, msg);
    return msg;
  }

  /** Publishes a bus event as room-events.publisher does (protobuf envelope, JSON data). */
  event(subject: string, e: { type: string; roomId?: string; seq?: number; data?: unknown; onlyConnectionIds?: string[]; excludeConnectionId?: string }, reply?: string): FakeMsg {
    const bytes = bus.Event.encode(
      bus.Event.fromPartial({ type: e.type, roomId: e.roomId ?? '', seq: e.seq ?? 0, ts: Date.now(), data: Buffer.from(JSON.stringify(e.data ?? {})), onlyConnectionIds: e.onlyConnectionIds ?? [], excludeConnectionId: e.excludeConnectionId ?? '' }),
    ).finish();
    return this.deliver(subject, bytes, reply);
  }

  asConnection(): NatsConnection {
    return this as unknown as NatsConnection;
  }
}
