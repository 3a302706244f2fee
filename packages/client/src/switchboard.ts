import type { HelloData, ServerEvent, Verb } from '@switchboard/protocol';
import { Emitter } from './emitter.js';
import { ClientError } from './errors.js';
import { fetchServers, type ServerListKey } from './servers.js';
import { decodeFrame, defaultSocketFactory, encodeFrame, ICE_ON_REQUEST_PROTOCOL, OPEN, SUBPROTOCOL, type Encoding, type SocketFactory, type SocketLike } from './transport.js';
import type { ChatMessage, KnownEvents, LifecycleEvents, ReplyOf, RequestData, RoomSnapshot } from './types.js';

/** Where to connect: one URL, several (tried in turn), or a signed `GET /v1/servers` list. */
export interface ConnectOptions {
  /** `ws(s)://host/ws`; or a list, tried in turn on reconnects (a draining replica is skipped). */
  url?: string | string[];
  /** Bootstrap: fetch `<baseUrl>/v1/servers`, verify its Ed25519 signature (keys by keyId) and 5-minute freshness, connect to its endpoints. */
  servers?: { baseUrl: string; keys: Record<string, ServerListKey> };
  /** A fixed JWT (no refresh: when it expires the client stops). */
  token?: string;
  /** Returns a fresh JWT: called to connect, before the token expires, and after `unauthorized`. */
  getToken?: () => string | Promise<string>;
  /** An attestation token (docs/attestation.md), or a function returning a fresh one per connection. */
  attestation?: string | (() => string | Promise<string>);
  /** Wire encoding: JSON text frames (default) or binary MessagePack. */
  encoding?: Encoding;
  /** Default per-request timeout (10 s). */
  requestTimeoutMs?: number;
  /** How long an outbox entry (a retried, idempotent request such as chat.send) may wait across reconnects (60 s). */
  outboxTimeoutMs?: number;
  /** At most this many requests wait for a connection or sit in the outbox (100); more get `outbox_full`. */
  maxQueued?: number;
  /** Reconnect backoff: exponential from minDelayMs to maxDelayMs with full jitter; maxAttempts (Infinity) in a row before stopping. */
  reconnect?: { minDelayMs?: number; maxDelayMs?: number; maxAttempts?: number };
  /** Refresh the token this long before it expires (30 s, at most a third of its lifetime). */
  refreshBeforeMs?: number;
  /** How long to wait for `hello` after opening a socket (10 s). */
  helloTimeoutMs?: number;
  /** History messages fetched per room on resync (50). */
  resyncHistory?: number;
  /** A WebSocket constructor to use instead of the native one (or `ws` in Node). */
  WebSocket?: SocketFactory;
}

export interface RequestOptions {
  /** Per-call timeout; for retried requests, the total wait across reconnects. */
  timeoutMs?: number;
  /** Keep the request in the outbox and re-send it after a reconnect until answered. Only for idempotent verbs (default true for chat.send). */
  retry?: boolean;
}

interface Pending {
  id: string;
  verb: string;
  data: unknown;
  retry: boolean;
  resolve: (data: any) => void;
  reject: (err: Error) => void;
  timer: ReturnType<typeof setTimeout>;
  /** The socket it was last sent on; undefined while queued. */
  socket?: SocketLike;
  /** presence.subscribe: users unwatched (`presence.unsubscribe` requested) while it was in flight, not to remember. */
  forget?: Set<string>;
}

type PresenceView = ReplyOf<'presence.subscribe'>['presence'][string];

/** Users per `presence.subscribe` (the schema's maxItems): a re-sent watch goes out in chunks of this. */
const PRESENCE_CHUNK = 500;

type State = 'connecting' | 'connected' | 'reconnecting' | 'closed';

/** Close codes that say "do not come back" (docs/protocol.md, Close codes): reconnecting cannot help, or must not happen. */
const FINAL_CLOSE: Record<number, string> = { 4002: 'replaced', 4003: 'admin_disconnect', 4011: 'version_blocked', 4012: 'version_too_old' };

const jwtExpiry = (token: string): number | null => {
  try {
    const part = token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/');
    const exp = (JSON.parse(atob(part + '='.repeat((4 - (part.length % 4)) % 4))) as { exp?: unknown }).exp;
    return typeof exp === 'number' ? exp * 1000 : null;
  } catch {
    return null;
  }
};

/** What a watcher sees of a user is unchanged; not lastSeen, which is "now" for anyone online. */
const samePresence = (a: PresenceView, b: PresenceView): boolean => a.status === b.status && a.text === b.text && a.devices.join('\n') === b.devices.join('\n');

const newClientMsgId = (): string => (globalThis.crypto?.randomUUID ? globalThis.crypto.randomUUID() : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`);

/** http(s)://host → ws(s)://host/ws; ws URLs unchanged. */
const toWsUrl = (endpoint: string): string => {
  const u = new URL(endpoint);
  if (u.protocol === 'http:' || u.protocol === 'https:') u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  if (u.pathname === '/' || u.pathname === '') u.pathname = '/ws';
  return u.toString();
};

/**
 * A Switchboard connection that stays connected: requests with timeouts, typed events,
 * reconnect with backoff, `session.resume` (no gap, no duplicate), an outbox for idempotent
 * sends, token refresh, draining handoff. Create it with {@link connect}.
 */
export class Switchboard extends Emitter<Record<string, any[]>> {
  /** The current connection's `hello` (connection id, session id, ICE servers, limits); `session.ice` updates its ICE servers. */
  hello!: HelloData;
  /** Callers of iceServers() waiting for `session.ice`. */
  private iceWaiters: ((servers: HelloData['iceServers']) => void)[] = [];
  /** The `ice.servers` answer of this connection (hello said `iceServersOnRequest`), asked once and again after it expires. */
  private iceAsked?: { servers: Promise<HelloData['iceServers']>; expiresAt?: number };
  private state: State = 'connecting';
  private socket?: SocketLike;
  private retiring?: SocketLike;
  private urls: string[] = [];
  private urlIndex = 0;
  private token = '';
  private nextId = 1;
  private attempt = 0;
  private readonly pending = new Map<string, Pending>();
  /** Requests waiting for a connection, in order. */
  private queue: Pending[] = [];
  /** The outbox: retried requests, sent one at a time in order (chat stays in the order it was written). */
  private lane: Pending[] = [];
  private laneBusy?: Pending;
  /** Last seq seen per joined room: what `session.resume` asks to continue from. */
  private readonly roomSeq = new Map<string, number>();
  /** The session whose connection holds this client's seats: what the next `session.resume` names. */
  private seatSession?: string;
  /** The live registry watch (`rooms.subscribe` arguments): it belongs to one connection, so every new one re-sends it. */
  private watch?: RequestData<'rooms.subscribe'>;
  /**
   * Users watched with `presence.subscribe` (accepted by the server) and what was last seen of
   * each: a watch belongs to one connection, so every new one re-sends it and the difference
   * becomes `presence.changed`. Bounded by what the server accepts (5000 per connection).
   */
  private readonly presenceWatch = new Map<string, PresenceView | undefined>();
  /** False until the first hello: only later connections re-subscribe. */
  private everConnected = false;
  private reconnectTimer?: ReturnType<typeof setTimeout>;
  private refreshTimer?: ReturnType<typeof setTimeout>;
  private drainTimer?: ReturnType<typeof setTimeout>;
  private readonly factory: Promise<SocketFactory>;
  private readonly encoding: Encoding;

  private constructor(private readonly opts: ConnectOptions) {
    super();
    this.encoding = opts.encoding ?? 'json';
    this.factory = opts.WebSocket ? Promise.resolve(opts.WebSocket) : defaultSocketFactory();
  }

  /** MessagePack connection: binary fields (push-to-talk audio) travel as `bin`, not base64. */
  get binary(): boolean {
    return this.encoding === 'msgpack';
  }

  /**
   * The ICE servers for a call: `hello`'s, or, when `hello` said `iceServersPending` (the
   * gateway did not wait for this user's TURN credentials, ADR 0080), those of the
   * `session.ice` that follows it, or, when it said `iceServersOnRequest` (this client offers
   * `ice.on-request`, ADR 0095), those of an `ice.servers` request made now (once per
   * connection until they expire; the STUN defaults if it fails). P2PCall waits for this before
   * gathering candidates.
   */
  iceServers(): Promise<HelloData['iceServers']> {
    if (this.hello.iceServersOnRequest) {
      const asked = this.iceAsked;
      if (asked && !(asked.expiresAt !== undefined && asked.expiresAt - 60_000 < Date.now())) return asked.servers;
      return this.askIce(this.hello);
    }
    if (!this.hello.iceServersPending) return Promise.resolve(this.hello.iceServers);
    return new Promise((resolve) => this.iceWaiters.push(resolve));
  }

  private askIce(hello: HelloData): Promise<HelloData['iceServers']> {
    const asked: NonNullable<typeof this.iceAsked> = {
      servers: this.request('ice.servers').then(
        (reply) => {
          asked.expiresAt = reply.expiresAt;
          return reply.iceServers;
        },
        () => {
          // Asked again next time; a call still gets STUN.
          if (this.iceAsked === asked) this.iceAsked = undefined;
          return hello.iceServers;
        },
      ),
    };
    this.iceAsked = asked;
    return asked.servers;
  }

  /** Hands the final ICE servers to everyone waiting (after `session.ice`, a hello without pending, or stop). */
  private settleIce(): void {
    for (const resolve of this.iceWaiters.splice(0)) resolve(this.hello.iceServers);
  }

  /** Connects (first attempt only: a failure rejects) and keeps the connection up from then on. */
  static async connect(opts: ConnectOptions): Promise<Switchboard> {
    if (!opts.token && !opts.getToken) throw new ClientError('bad_request', 'connect() needs token or getToken');
    if (!opts.url && !opts.servers) throw new ClientError('bad_request', 'connect() needs url or servers');
    const sb = new Switchboard(opts);
    await sb.resolveUrls();
    sb.token = opts.token ?? (await opts.getToken!());
    await sb.open();
    return sb;
  }

  /** Connection id of the current connection. */
  get connectionId(): string {
    return this.hello.connectionId;
  }

  get userId(): string {
    return this.hello.userId;
  }

  /** Session id of the current connection (the next `session.resume` continues it). */
  get sessionId(): string {
    return this.hello.sessionId;
  }

  get connected(): boolean {
    return this.state === 'connected';
  }

  /** The rooms this client is in and the last seq it saw of each. */
  get rooms(): ReadonlyMap<string, number> {
    return this.roomSeq;
  }

  /** Requests not answered yet that will be re-sent after a reconnect (e.g. chat.send while offline). */
  get outbox(): { verb: string; data: unknown }[] {
    return [...(this.laneBusy ? [this.laneBusy] : []), ...this.lane].map((p) => ({ verb: p.verb, data: p.data }));
  }

  override on<K extends keyof LifecycleEvents>(event: K, handler: (...args: LifecycleEvents[K]) => void): () => void;
  override on<K extends keyof KnownEvents>(event: K, handler: (data: KnownEvents[K], event: ServerEvent<KnownEvents[K]>) => void): () => void;
  /** Any server event by its `type`; `'*'` for every server event. */
  override on(event: string, handler: (data: any, event: ServerEvent<any>) => void): () => void;
  override on(event: string, handler: (...args: any[]) => void): () => void {
    return super.on(event, handler);
  }

  /**
   * Sends a verb and resolves with its reply data, or rejects with a ClientError (the
   * server's error code, `timeout`, `disconnected`, `closed`, `outbox_full`). While
   * reconnecting, requests wait (within their timeout) and go out after the resume.
   */
  request<V extends Verb>(verb: V, data?: RequestData<V>, options: RequestOptions = {}): Promise<ReplyOf<V>> {
    if (this.state === 'closed') return Promise.reject(new ClientError('closed', 'the client is closed'));
    if (verb === 'presence.unsubscribe') this.unwatchPresence((data as RequestData<'presence.unsubscribe'> | undefined)?.userIds ?? []);
    const waiting = this.queue.length + this.lane.length + (this.laneBusy ? 1 : 0);
    if (waiting >= (this.opts.maxQueued ?? 100)) return Promise.reject(new ClientError('outbox_full', 'too many requests waiting for a connection'));
    const retry = options.retry ?? verb === 'chat.send';
    const timeoutMs = options.timeoutMs ?? (retry ? (this.opts.outboxTimeoutMs ?? 60_000) : (this.opts.requestTimeoutMs ?? 10_000));
    const id = String(this.nextId++);
    return new Promise<ReplyOf<V>>((resolve, reject) => {
      // An outbox entry frees the lane for the next one however it ends.
      const settled = () => {
        if (this.laneBusy !== p) return;
        this.laneBusy = undefined;
        this.pump();
      };
      const p: Pending = {
        id,
        verb,
        data,
        retry,
        resolve: (v) => (settled(), resolve(v)),
        reject: (e) => (settled(), reject(e)),
        timer: setTimeout(() => {
          this.pending.delete(id);
          this.queue = this.queue.filter((q) => q !== p);
          this.lane = this.lane.filter((q) => q !== p);
          p.reject(new ClientError('timeout', `no reply to ${verb} within ${timeoutMs} ms`));
        }, timeoutMs),
      };
      if (retry) {
        this.lane.push(p);
        this.pump();
      } else if (this.state === 'connected') this.transmit(p);
      else this.queue.push(p);
    });
  }

  /**
   * Sends a chat message through the outbox: it gets a clientMsgId (unless given), survives
   * reconnects, and the server stores it once however often it is re-sent.
   */
  async sendChat(roomId: string, text: string, extra: Partial<RequestData<'chat.send'>> = {}): Promise<ChatMessage> {
    const reply = await this.request('chat.send', { roomId, text, clientMsgId: newClientMsgId(), ...extra } as RequestData<'chat.send'>, { retry: true });
    return reply.message;
  }

  /** Sends a frame without waiting for a reply (no id); dropped when not connected. */
  notify<V extends Verb>(verb: V, data?: RequestData<V>): void {
    if (this.socket?.readyState === OPEN && this.state === 'connected') this.socket.send(encodeFrame(this.encoding, { type: verb, data }));
  }

  /** Closes for good: no reconnect; waiting requests reject with `closed`. */
  close(): void {
    this.stop(1000, 'closed by client');
  }

  // ---- connection lifecycle ----

  private async resolveUrls(): Promise<void> {
    if (this.opts.servers) {
      const list = await fetchServers(this.opts.servers.baseUrl, this.opts.servers.keys);
      this.urls = list.servers.map((s) => toWsUrl(s.endpoint));
      if (this.urls.length === 0) throw new ClientError('unavailable', 'the server list is empty');
    } else {
      this.urls = Array.isArray(this.opts.url) ? [...this.opts.url] : [this.opts.url!];
    }
  }

  private async protocols(): Promise<string[]> {
    const list = [SUBPROTOCOL[this.encoding], `bearer.${this.token}`, ICE_ON_REQUEST_PROTOCOL];
    const att = typeof this.opts.attestation === 'function' ? await this.opts.attestation() : this.opts.attestation;
    if (att) list.push(`attest.${att}`);
    return list;
  }

  /** Opens a socket to the current URL and resolves on `hello` (resume included). */
  private async open(): Promise<void> {
    const Factory = await this.factory;
    const url = this.urls[this.urlIndex % this.urls.length]!;
    const socket = new Factory(url, await this.protocols());
    socket.binaryType = 'arraybuffer';
    const hello = await new Promise<HelloData>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new ClientError('timeout', `no hello from ${url} within ${this.opts.helloTimeoutMs ?? 10_000} ms`));
        socket.close();
      }, this.opts.helloTimeoutMs ?? 10_000);
      let failure = '';
      socket.onerror = (ev) => (failure = ev.message ?? String(ev.error ?? ''));
      socket.onclose = (ev) => {
        clearTimeout(timer);
        const status = /Unexpected server response: (\d+)/.exec(failure)?.[1];
        reject(new ClientError(status ? 'http' : 'closed', status ? `upgrade refused with HTTP ${status}` : `closed (${ev.code}) before hello`, { status: status ? Number(status) : undefined, closeCode: ev.code }));
      };
      socket.onmessage = (ev) => {
        const frame = decodeFrame(ev.data);
        if (frame?.type !== 'hello') return;
        clearTimeout(timer);
        resolve(frame.data as HelloData);
      };
    });
    this.attach(socket, hello);
    await this.afterHello();
  }

  private attach(socket: SocketLike, hello: HelloData): void {
    const old = this.socket;
    this.socket = socket;
    this.hello = hello;
    this.iceAsked = undefined;
    if (!hello.iceServersPending) this.settleIce();
    socket.onmessage = (ev) => {
      const frame = decodeFrame(ev.data);
      if (frame) this.onFrame(frame);
    };
    socket.onclose = (ev) => this.onClose(socket, ev.code, ev.reason);
    socket.onerror = () => undefined; // the close that follows is what counts
    if (old && old !== socket) this.retiring = old;
  }

  private async afterHello(): Promise<void> {
    this.state = 'connecting';
    this.attempt = 0;
    this.emit('connected', this.hello);
    this.scheduleRefresh();
    if (this.retiring) await this.retire();
    if (this.seatSession && this.seatSession !== this.hello.sessionId && this.roomSeq.size > 0) await this.resume(this.seatSession);
    this.seatSession = this.hello.sessionId;
    if (this.everConnected && this.watch) await this.resubscribe(this.watch);
    if (this.everConnected && this.presenceWatch.size > 0) await this.rewatchPresence();
    this.everConnected = true;
    this.state = 'connected';
    const queued = this.queue;
    this.queue = [];
    this.pump();
    for (const p of queued) this.transmit(p);
  }

  /** Closes the socket replaced by a draining handoff and waits until it is gone, so resume can take its seats. */
  private async retire(): Promise<void> {
    const old = this.retiring!;
    if (old.readyState !== 3) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 5_000);
        old.onclose = (ev) => {
          clearTimeout(t);
          this.onClose(old, ev.code, ev.reason);
          resolve();
        };
        old.close(1000, 'moved to another server');
      });
    }
    this.retiring = undefined;
  }

  private async resume(sessionId: string): Promise<void> {
    const rooms = Object.fromEntries(this.roomSeq);
    const p = this.direct('session.resume', { sessionId, rooms });
    try {
      const reply = (await p) as { replayed: number };
      this.emit('resumed', { replayed: reply.replayed, rooms: Object.keys(rooms) });
    } catch (err) {
      const e = err as ClientError;
      if (e.code === 'closed' || e.code === 'disconnected') throw err;
      // conflict {rooms}: those rooms could not be resumed; anything else (session_live,
      // unavailable): none could. Either way the SDK rejoins and refetches them itself.
      const lost = Array.isArray(e.details?.rooms) ? (e.details.rooms as string[]) : Object.keys(rooms);
      const resumed = Object.keys(rooms).filter((r) => !lost.includes(r));
      if (resumed.length) this.emit('resumed', { replayed: 0, rooms: resumed });
      for (const roomId of lost) await this.resync(roomId);
    }
  }

  /** Re-sends the registry watch on a new connection; the snapshot covers whatever changed during the gap. */
  private async resubscribe(watch: RequestData<'rooms.subscribe'>): Promise<void> {
    try {
      const snapshot = (await this.direct('rooms.subscribe', watch)) as ReplyOf<'rooms.subscribe'>;
      this.emit('resubscribed', { rooms: snapshot.rooms, truncated: snapshot.truncated });
    } catch (err) {
      const e = err as ClientError;
      if (e.code === 'closed' || e.code === 'disconnected') throw err;
      // Kept: the next connection tries again; the app hears why this one has no watch.
      this.emit('resubscribed', { rooms: [], truncated: false, error: e });
    }
  }

  /**
   * Re-sends the presence watch on a new connection (chunks of 500, before queued requests go
   * out) and emits `presence.changed` for each user whose presence differs from the last seen,
   * so a change made during the gap is not missed; then `presenceResubscribed` with the snapshot.
   */
  private async rewatchPresence(): Promise<void> {
    const before = new Map(this.presenceWatch);
    const userIds = [...before.keys()];
    const chunks: string[][] = [];
    for (let i = 0; i < userIds.length; i += PRESENCE_CHUNK) chunks.push(userIds.slice(i, i + PRESENCE_CHUNK));
    const settled = await Promise.allSettled(chunks.map((chunk) => this.direct('presence.subscribe', { userIds: chunk }) as Promise<ReplyOf<'presence.subscribe'>>));
    const presence: Record<string, PresenceView> = {};
    let error: ClientError | undefined;
    for (const r of settled) {
      if (r.status === 'fulfilled') Object.assign(presence, r.value.presence);
      else {
        const e = r.reason as ClientError;
        if (e.code === 'closed' || e.code === 'disconnected') throw e;
        // Kept: the next connection tries again; the app hears why these users are not watched now.
        error ??= e;
      }
    }
    for (const [userId, view] of Object.entries(presence)) {
      if (!this.presenceWatch.has(userId)) continue; // unwatched meanwhile
      const last = before.get(userId);
      if (last && samePresence(last, view)) continue;
      const event = { type: 'presence.changed', data: { userId, ...view } } as ServerEvent<any>;
      this.emit('presence.changed', event.data, event);
      this.emit('*', event.data, event);
    }
    this.emit('presenceResubscribed', { presence, ...(error ? { error } : {}) });
  }

  private async resync(roomId: string): Promise<void> {
    this.roomSeq.delete(roomId);
    try {
      const snapshot = (await this.direct('room.join', { roomId })) as RoomSnapshot;
      this.roomSeq.set(roomId, snapshot.seq);
      const history = (await this.direct('chat.history', { roomId, limit: this.opts.resyncHistory ?? 50 })) as { messages: ChatMessage[] };
      this.emit('resync', { roomId, snapshot, messages: history.messages });
    } catch (err) {
      this.emit('resync', { roomId, messages: [], error: err as Error });
    }
  }

  /** A request on the current socket that bypasses the queue (resume, resync). */
  private direct(verb: string, data: unknown): Promise<unknown> {
    const id = String(this.nextId++);
    const timeoutMs = this.opts.requestTimeoutMs ?? 10_000;
    return new Promise((resolve, reject) => {
      const p: Pending = { id, verb, data, retry: false, resolve, reject, timer: setTimeout(() => (this.pending.delete(id), reject(new ClientError('timeout', `no reply to ${verb}`))), timeoutMs) };
      this.transmit(p);
    });
  }

  /** Forgets users at once when the app unwatches them (not on the reply): a reconnect meanwhile must not watch them again. */
  private unwatchPresence(userIds: string[]): void {
    for (const u of userIds) this.presenceWatch.delete(u);
    for (const p of [...this.pending.values(), ...this.queue]) if (p.verb === 'presence.subscribe') for (const u of userIds) (p.forget ??= new Set()).add(u);
  }

  /** Sends the next outbox entry when none is waiting for its reply. */
  private pump(): void {
    if (this.laneBusy || this.state !== 'connected' || this.lane.length === 0) return;
    this.laneBusy = this.lane.shift()!;
    this.transmit(this.laneBusy);
  }

  private transmit(p: Pending): void {
    const socket = this.socket;
    if (!socket || socket.readyState !== OPEN) {
      if (this.laneBusy === p) {
        this.laneBusy = undefined;
        this.lane.unshift(p);
      } else this.queue.push(p);
      return;
    }
    p.socket = socket;
    this.pending.set(p.id, p);
    socket.send(encodeFrame(this.encoding, { id: p.id, type: p.verb, data: p.data }));
  }

  private onFrame(frame: Record<string, any>): void {
    if (typeof frame.re === 'string') {
      const p = this.pending.get(frame.re);
      if (!p) return;
      if (frame.type === 'error' && p.retry && frame.error?.code === 'rate_limited') {
        // An outbox entry is re-sent after the server's hint instead of failing.
        p.socket = undefined;
        setTimeout(() => this.pending.has(p.id) && this.state === 'connected' && this.transmit(p), Number(frame.error.retryAfterMs) || 1000);
        return;
      }
      this.pending.delete(frame.re);
      clearTimeout(p.timer);
      if (frame.type === 'error') p.reject(new ClientError(frame.error?.code ?? 'internal', frame.error?.message ?? '', frame.error ?? {}));
      else {
        this.trackReply(p, frame.data ?? {});
        p.resolve(frame.data ?? {});
      }
      return;
    }
    const event = frame as ServerEvent<any>;
    if (typeof event.room === 'string' && typeof event.seq === 'number') {
      const last = this.roomSeq.get(event.room);
      if (last !== undefined) {
        if (event.seq <= last) return; // already delivered (replay overlap): never twice
        this.roomSeq.set(event.room, event.seq);
      }
    }
    switch (event.type) {
      case 'session.ice': {
        const { iceServersPending: _, ...hello } = this.hello;
        this.hello = { ...hello, iceServers: Array.isArray(event.data?.iceServers) ? event.data.iceServers : hello.iceServers };
        this.settleIce();
        break;
      }
      case 'session.draining':
        this.scheduleHandoff(Number(event.data?.reconnectInMs) || 0);
        break;
      case 'session.replaced':
        return this.stopOn(event, 'replaced', { by: String(event.data?.by ?? '') }, 4002);
      case 'session.closed':
        // An administrator ended this connection (close 4003 follows): stop, never reconnect around it.
        return this.stopOn(event, 'disconnectedByAdmin', { reason: String(event.data?.reason ?? '') }, 4003);
      case 'presence.changed': {
        const { userId, ...view } = (event.data ?? {}) as { userId?: string } & PresenceView;
        if (typeof userId === 'string' && this.presenceWatch.has(userId)) this.presenceWatch.set(userId, view);
        break;
      }
      case 'room.closed':
      case 'room.removed':
        if (event.room) this.roomSeq.delete(event.room);
        break;
    }
    this.emit(event.type, event.data ?? {}, event);
    this.emit('*', event.data ?? {}, event);
  }

  /** A server event that ends this client: delivered like any event, announced as `lifecycle`, then the client stops. */
  private stopOn<K extends 'replaced' | 'disconnectedByAdmin'>(event: ServerEvent<any>, lifecycle: K, info: LifecycleEvents[K][0], code: number): void {
    this.emit(event.type, event.data ?? {}, event);
    this.emit('*', event.data ?? {}, event);
    this.emit(lifecycle, info);
    this.stop(code, FINAL_CLOSE[code] ?? lifecycle);
  }

  /** Joined rooms start their seq from the join reply; leaving stops tracking. */
  private trackReply(p: Pending, data: Record<string, any>): void {
    const roomId = (p.data as { roomId?: string } | undefined)?.roomId;
    if ((p.verb === 'room.join' || p.verb === 'room.create') && typeof data.seq === 'number') {
      const id = p.verb === 'room.create' ? data.room?.id : roomId;
      if (typeof id === 'string') this.roomSeq.set(id, Math.max(this.roomSeq.get(id) ?? 0, data.seq));
    } else if ((p.verb === 'room.leave' || p.verb === 'room.close') && roomId) {
      this.roomSeq.delete(roomId);
    } else if (p.verb === 'rooms.subscribe') {
      this.watch = (p.data ?? {}) as RequestData<'rooms.subscribe'>;
    } else if (p.verb === 'rooms.unsubscribe') {
      this.watch = undefined;
    } else if (p.verb === 'presence.subscribe' && data.presence && typeof data.presence === 'object') {
      const userIds = (p.data as RequestData<'presence.subscribe'> | undefined)?.userIds ?? [];
      for (const u of userIds) if (!p.forget?.has(u)) this.presenceWatch.set(u, (data.presence as Record<string, PresenceView>)[u]);
    }
  }

  private onClose(socket: SocketLike, code: number, reason: string): void {
    // Requests sent on this socket: retried ones go back to the outbox, the others fail (the server may or may not have run them).
    for (const p of [...this.pending.values()]) {
      if (p.socket !== socket) continue;
      if (p.retry) {
        // Back to the front of the outbox: re-sent first after the reconnect (same clientMsgId: stored once).
        this.pending.delete(p.id);
        p.socket = undefined;
        if (this.laneBusy === p) this.laneBusy = undefined;
        this.lane.unshift(p);
      } else {
        this.pending.delete(p.id);
        clearTimeout(p.timer);
        p.reject(new ClientError('disconnected', `connection closed (${code}) before the reply to ${p.verb}`, { closeCode: code }));
      }
    }
    if (socket !== this.socket || this.state === 'closed') return;
    const final = FINAL_CLOSE[code] ?? (code === 4001 && !this.opts.getToken ? 'token_expired' : code === 4010 && typeof this.opts.attestation !== 'function' ? 'unattested' : undefined);
    this.emit('disconnected', { code, reason, willReconnect: !final });
    // The close alone (its announcing event was lost) still says why the client stops.
    if (code === 4002) this.emit('replaced', { by: '' });
    if (code === 4003) this.emit('disconnectedByAdmin', { reason: '' });
    if (final) {
      this.stop(code, reason || final);
      return;
    }
    this.state = 'reconnecting';
    clearTimeout(this.refreshTimer);
    this.scheduleReconnect(code === 4001 || code === 1008);
  }

  private scheduleReconnect(freshToken: boolean): void {
    const { minDelayMs = 250, maxDelayMs = 10_000, maxAttempts = Infinity } = this.opts.reconnect ?? {};
    if (this.attempt >= maxAttempts) {
      this.stop(1006, 'gave up reconnecting');
      return;
    }
    const cap = Math.min(maxDelayMs, minDelayMs * 2 ** this.attempt);
    const delayMs = Math.round(cap / 2 + Math.random() * (cap / 2)); // "equal jitter": never 0, spreads a stampede
    this.attempt++;
    this.emit('reconnecting', { attempt: this.attempt, delayMs });
    this.reconnectTimer = setTimeout(() => void this.reconnect(freshToken), delayMs);
  }

  private async reconnect(freshToken: boolean): Promise<void> {
    if (this.isClosed()) return;
    try {
      if (this.opts.getToken && (freshToken || this.expiresSoon())) await this.useToken(await this.opts.getToken());
      this.urlIndex++;
      await this.open();
    } catch (err) {
      if (this.isClosed()) return;
      const e = err as ClientError;
      if (e.details?.status === 401 && !this.opts.getToken) {
        this.stop(4001, 'unauthorized');
        return;
      }
      this.scheduleReconnect(e.details?.status === 401);
    }
  }

  /** State read through a call: it changes across awaits, which narrowing does not see. */
  private isClosed(): boolean {
    return this.state === 'closed';
  }

  private expiresSoon(): boolean {
    const exp = jwtExpiry(this.token);
    return exp !== null && exp - Date.now() < (this.opts.refreshBeforeMs ?? 30_000);
  }

  private async useToken(token: string): Promise<void> {
    this.token = token;
    this.emit('token', { expiresAt: jwtExpiry(token) });
  }

  /** Before the token expires: a fresh one from getToken(), handed to the live connection with `session.refresh`. */
  private scheduleRefresh(): void {
    clearTimeout(this.refreshTimer);
    const exp = jwtExpiry(this.token);
    if (!this.opts.getToken || exp === null) return;
    const lifetime = exp - Date.now();
    const before = Math.min(this.opts.refreshBeforeMs ?? 30_000, lifetime / 3);
    const inMs = Math.max(0, lifetime - before);
    if (inMs > 2 ** 31 - 1) return;
    this.refreshTimer = setTimeout(() => void this.refresh(), inMs);
  }

  private async refresh(): Promise<void> {
    try {
      const token = await this.opts.getToken!();
      await this.request('session.refresh', { token });
      await this.useToken(token);
      this.scheduleRefresh();
    } catch {
      // The server closes with 4001 at expiry; the reconnect then fetches a token again.
      this.refreshTimer = setTimeout(() => void this.refresh(), 5_000);
    }
  }

  /** session.draining: open a connection elsewhere, then close this one, then resume — before the server closes it. */
  private scheduleHandoff(inMs: number): void {
    clearTimeout(this.drainTimer);
    this.drainTimer = setTimeout(() => void this.handoff(), inMs);
  }

  private async handoff(): Promise<void> {
    if (this.state !== 'connected') return;
    this.state = 'reconnecting';
    this.urlIndex++;
    try {
      await this.open();
    } catch {
      // No other server took us yet: the draining one closes with 1012 and the normal reconnect follows.
      this.state = this.socket?.readyState === OPEN ? 'connected' : 'reconnecting';
      if (this.state === 'reconnecting') this.scheduleReconnect(false);
    }
  }

  private stop(code: number, reason: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.refreshTimer);
    clearTimeout(this.drainTimer);
    for (const p of [...this.pending.values(), ...this.queue, ...this.lane]) {
      clearTimeout(p.timer);
      p.reject(new ClientError('closed', `client closed: ${reason}`));
    }
    this.pending.clear();
    this.queue = [];
    this.lane = [];
    this.settleIce();
    this.laneBusy = undefined;
    if (this.socket && this.socket.readyState <= OPEN) this.socket.close(1000, reason.slice(0, 100));
    this.emit('closed', { code, reason });
  }
}

/** Connects to Switchboard; see {@link ConnectOptions} and {@link Switchboard}. */
export const connect = (opts: ConnectOptions): Promise<Switchboard> => Switchboard.connect(opts);
