import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import type { EventData, EventType, HelloData, ReplyFrame, ServerEvent } from '@switchboard/protocol';

import { ClientError } from './errors.js';

export interface ConnectOptions {
  /** Where the token goes: header (default), subprotocol (browser style) or query. */
  auth?: 'header' | 'subprotocol' | 'query';
  protocols?: string[];
  requestTimeoutMs?: number;
  helloTimeoutMs?: number;
}

type Pending = { resolve: (data: any) => void; reject: (err: Error) => void; timer: NodeJS.Timeout };

/**
 * Minimal Switchboard protocol client for Node: request/reply with ids, events as an
 * EventEmitter and an ordered log, and waitFor() for tests and load generators.
 */
export class SwitchboardClient extends EventEmitter {
  readonly events: ServerEvent[] = [];
  hello!: HelloData;
  closeCode?: number;
  closeReason?: string;
  private nextId = 1;
  private readonly pending = new Map<string, Pending>();
  private readonly waiters = new Set<{ match: (e: ServerEvent) => boolean; resolve: (e: ServerEvent) => void; timer?: NodeJS.Timeout }>();

  private constructor(
    readonly ws: WebSocket,
    private readonly requestTimeoutMs: number,
  ) {
    super();
    ws.on('message', (raw) => this.onFrame(raw.toString()));
    ws.on('close', (code, reason) => {
      this.closeCode = code;
      this.closeReason = reason.toString();
      for (const p of this.pending.values()) {
        clearTimeout(p.timer);
        p.reject(new ClientError('closed', `socket closed (${code})`));
      }
      this.pending.clear();
      this.emit('close', code);
    });
  }

  static async connect(url: string, token: string, opts: ConnectOptions = {}): Promise<SwitchboardClient> {
    const auth = opts.auth ?? 'header';
    const protocols = [...(opts.protocols ?? ['switchboard.v1']), ...(auth === 'subprotocol' ? [`bearer.${token}`] : [])];
    const target = auth === 'query' ? `${url}${url.includes('?') ? '&' : '?'}access_token=${encodeURIComponent(token)}` : url;
    const ws = new WebSocket(target, protocols, auth === 'header' ? { headers: { Authorization: `Bearer ${token}` } } : {});
    const client = new SwitchboardClient(ws, opts.requestTimeoutMs ?? 10_000);
    const hello = client.waitFor('hello', () => true, opts.helloTimeoutMs ?? 10_000);
    hello.catch(() => undefined); // observed below; avoids an unhandled rejection when the upgrade fails
    try {
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('unexpected-response', (_req, res) => reject(new ClientError('http', `upgrade refused with HTTP ${res.statusCode}`, { status: res.statusCode })));
        ws.once('error', reject);
      });
      client.hello = (await hello).data as unknown as HelloData;
    } catch (err) {
      client.cancelWaiters();
      ws.terminate();
      throw err;
    }
    return client;
  }

  private onFrame(text: string) {
    let frame: ReplyFrame & ServerEvent;
    try {
      frame = JSON.parse(text);
    } catch {
      return;
    }
    if (frame.re !== undefined && this.pending.has(frame.re)) {
      const p = this.pending.get(frame.re)!;
      this.pending.delete(frame.re);
      clearTimeout(p.timer);
      if (frame.type === 'error') p.reject(new ClientError(frame.error!.code, frame.error!.message, frame.error as Record<string, unknown>));
      else p.resolve(frame.data ?? {});
      return;
    }
    this.events.push(frame);
    this.emit('event', frame);
    for (const w of this.waiters) {
      if (w.match(frame)) {
        this.waiters.delete(w);
        w.resolve(frame);
      }
    }
  }

  /** hello's ICE servers, those of the `session.ice` that follows a hello with `iceServersPending` (ADR 0080), or of `ice.servers` after one with `iceServersOnRequest` (ADR 0095). */
  async iceServers(timeoutMs = 10_000): Promise<HelloData['iceServers']> {
    if (this.hello.iceServersOnRequest) return (await this.request<{ iceServers: HelloData['iceServers'] }>('ice.servers')).iceServers;
    if (!this.hello.iceServersPending) return this.hello.iceServers;
    return (await this.waitFor('session.ice', () => true, timeoutMs)).data.iceServers;
  }

  /** Sends a command and resolves with the `.ok` data, or rejects with a ClientError. */
  request<T = any>(type: string, data?: unknown): Promise<T> {
    const id = String(this.nextId++);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new ClientError('timeout', `no reply to ${type} within ${this.requestTimeoutMs} ms`));
      }, this.requestTimeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.send({ id, type, data });
    });
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Resolves with the first event (already received or future) of `type` that matches; a type listed in EVENTS types its `data`. */
  waitFor<E extends EventType>(type: E, match?: (e: ServerEvent<EventData<E>>) => boolean, timeoutMs?: number): Promise<ServerEvent<EventData<E>>>;
  waitFor<D = any>(type: string, match?: (e: ServerEvent<D>) => boolean, timeoutMs?: number): Promise<ServerEvent<D>>;
  waitFor<D = any>(type: string, match: (e: ServerEvent<D>) => boolean = () => true, timeoutMs = 10_000): Promise<ServerEvent<D>> {
    const seen = this.events.find((e) => e.type === type && match(e as ServerEvent<D>));
    if (seen) return Promise.resolve(seen as ServerEvent<D>);
    return new Promise((resolve, reject) => {
      const waiter: { match: (e: ServerEvent) => boolean; resolve: (e: ServerEvent) => void; timer?: NodeJS.Timeout } = {
        match: (e: ServerEvent) => e.type === type && match(e as ServerEvent<D>),
        resolve: (e: ServerEvent) => {
          clearTimeout(waiter.timer);
          resolve(e as ServerEvent<D>);
        },
      };
      waiter.timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new ClientError('timeout', `no ${type} event within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  private cancelWaiters(): void {
    for (const w of this.waiters) clearTimeout(w.timer);
    this.waiters.clear();
  }

  /** Resolves when the socket is closed (by either side). */
  closed(timeoutMs = 10_000): Promise<number> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve(this.closeCode ?? 1006);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new ClientError('timeout', 'socket still open')), timeoutMs);
      this.once('close', (code: number) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
  }

  close(): Promise<number> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve(this.closeCode ?? 1000);
    const done = this.closed();
    this.ws.close(1000);
    return done;
  }

  /** Drops the socket without a close handshake, like a lost network. */
  terminate(): Promise<number> {
    const done = this.closed();
    this.ws.terminate();
    return done;
  }
}
