// The demo's link to the gateways: request/reply by id, events, and the resume rules of
// docs/protocol.md ("Ordering and resume"). Kept small and browser-only on purpose; the
// full SDK (`@switchboard/client`, issue 14 part a) replaces it once it lands (ADR 0026).

export interface Frame {
  type: string;
  re?: string;
  room?: string;
  seq?: number;
  ts?: number;
  data?: any;
  error?: { code: string; message: string; [k: string]: unknown };
}

export class RequestError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(`${code}: ${message}`);
  }
}

export type LinkState = 'connecting' | 'open' | 'reconnecting' | 'stopped';
type Listener = (frame: Frame) => void;

export interface LinkOptions {
  servers: string[];
  /** Index into `servers` to try first (the demo's `?server=` parameter). */
  first?: number;
  getToken: () => Promise<string>;
  requestTimeoutMs?: number;
}

// Every wait and retry is bounded (docs: "every size, count, rate has a limit").
const BACKOFF_BASE_MS = 250;
const BACKOFF_MAX_MS = 5_000;
const MAX_PENDING = 200;
/** Close codes after which reconnecting would be wrong (docs/protocol.md "Close codes"). */
const FINAL_CLOSES = new Set([4002, 4003, 4011, 4012]);

/**
 * One logical session over successive WebSockets. On a drop it reconnects to the next server
 * with exponential backoff and jitter, sends `session.resume` with the last `seq` of each room,
 * and emits `resumed` (events replayed in order) or `refetch` {rooms} when the server could not
 * replay (conflict): the app then rejoins and reloads those rooms.
 */
export class Link {
  hello: any;
  state: LinkState = 'connecting';
  private ws?: WebSocket;
  private next = 1;
  private attempt = 0;
  private serverIndex: number;
  private sessionId?: string;
  private readonly lastSeq = new Map<string, number>();
  private readonly pending = new Map<string, { resolve: (d: any) => void; reject: (e: Error) => void; timer: ReturnType<typeof setTimeout> }>();
  private readonly listeners = new Map<string, Set<Listener>>();

  constructor(private readonly opts: LinkOptions) {
    this.serverIndex = (opts.first ?? 0) % opts.servers.length;
  }

  get server(): string {
    return this.opts.servers[this.serverIndex];
  }

  /** Resolves with the first `hello`; later reconnects happen by themselves. */
  start(): Promise<any> {
    return new Promise((resolve, reject) => {
      const off = this.on('hello', () => {
        off();
        resolve(this.hello);
      });
      const offStop = this.on('stopped', (f) => {
        offStop();
        reject(new Error(`connection refused (${f.data?.code})`));
      });
      void this.open();
    });
  }

  on(type: string, fn: Listener): () => void {
    if (!this.listeners.has(type)) this.listeners.set(type, new Set());
    this.listeners.get(type)!.add(fn);
    return () => this.listeners.get(type)?.delete(fn);
  }

  private emit(frame: Frame): void {
    for (const key of [frame.type, '*'])
      for (const fn of this.listeners.get(key) ?? []) {
        // One failing handler must not keep the others (or the link) from seeing the frame.
        try {
          fn(frame);
        } catch (err) {
          console.error(`handler of ${frame.type} failed`, err);
        }
      }
  }

  /** Rooms this session follows; their last `seq` goes into `session.resume`. */
  track(roomId: string, seq: number): void {
    if ((this.lastSeq.get(roomId) ?? -1) < seq) this.lastSeq.set(roomId, seq);
  }

  untrack(roomId: string): void {
    this.lastSeq.delete(roomId);
  }

  request<T = any>(type: string, data?: unknown, timeoutMs = this.opts.requestTimeoutMs ?? 10_000): Promise<T> {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return Promise.reject(new RequestError('closed', 'not connected'));
    if (this.pending.size >= MAX_PENDING) return Promise.reject(new RequestError('too_many', `more than ${MAX_PENDING} requests in flight`));
    const id = String(this.next++);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new RequestError('timeout', `no reply to ${type}`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.ws!.send(JSON.stringify({ id, type, data }));
    });
  }

  stop(): void {
    this.state = 'stopped';
    this.ws?.close(1000);
  }

  private async open(): Promise<void> {
    let token: string;
    try {
      token = await this.opts.getToken();
    } catch {
      return this.retry();
    }
    if (this.state === 'stopped') return;
    const ws = new WebSocket(this.server, ['switchboard.v1', `bearer.${token}`]);
    this.ws = ws;
    ws.onmessage = (m) => this.onFrame(ws, m.data as string);
    ws.onclose = (e) => {
      if (this.ws !== ws) return;
      for (const p of this.pending.values()) {
        clearTimeout(p.timer);
        p.reject(new RequestError('closed', `socket closed (${e.code})`));
      }
      this.pending.clear();
      if (this.state === 'stopped') return;
      if (FINAL_CLOSES.has(e.code)) {
        this.state = 'stopped';
        return this.emit({ type: 'stopped', data: { code: e.code, reason: e.reason } });
      }
      this.state = 'reconnecting';
      this.emit({ type: 'state', data: { state: this.state, code: e.code } });
      this.retry();
    };
  }

  private retry(): void {
    // Next server in the list: the one we had may be the one that died.
    this.serverIndex = (this.serverIndex + 1) % this.opts.servers.length;
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.min(this.attempt++, 10));
    setTimeout(() => void this.open(), ceiling / 2 + Math.random() * (ceiling / 2));
  }

  private onFrame(ws: WebSocket, text: string): void {
    let frame: Frame;
    try {
      frame = JSON.parse(text);
    } catch {
      return;
    }
    if (frame.re !== undefined) {
      const p = this.pending.get(frame.re);
      if (!p) return;
      this.pending.delete(frame.re);
      clearTimeout(p.timer);
      if (frame.type === 'error') p.reject(new RequestError(frame.error!.code, frame.error!.message, frame.error));
      else p.resolve(frame.data ?? {});
      return;
    }
    if (frame.type === 'hello') return void this.onHello(ws, frame);
    if (frame.room && typeof frame.seq === 'number') this.track(frame.room, frame.seq);
    if (frame.type === 'session.draining') ws.close(4000, 'draining'); // reconnect elsewhere now
    this.emit(frame);
  }

  private async onHello(ws: WebSocket, frame: Frame): Promise<void> {
    const previous = this.sessionId;
    this.hello = frame.data;
    this.sessionId = frame.data.sessionId;
    this.attempt = 0;
    this.state = 'open';
    if (previous && this.lastSeq.size) {
      const rooms = Object.fromEntries(this.lastSeq);
      try {
        const ok = await this.request('session.resume', { sessionId: previous, rooms });
        this.emit({ type: 'resumed', data: { replayed: ok.replayed, rooms: Object.keys(rooms) } });
      } catch (err) {
        // Not replayable (too old, over budget, or the old session is unknown): reload state.
        const detail = err instanceof RequestError ? err.details : {};
        const listed = Array.isArray(detail.rooms) ? (detail.rooms as string[]) : Object.keys(rooms);
        this.emit({ type: 'refetch', data: { rooms: listed.length ? listed : Object.keys(rooms) } });
      }
    }
    if (this.ws === ws) this.emit(frame);
  }
}
