// Thin load-generator clients for the three targets, with one shape:
//   conn.id (connection id the server routes by), conn.request(type, data) → Promise<data>,
//   conn.fire(type, data) (no reply awaited; error replies counted in conn.errors),
//   conn.onEvent = (type, frame) => {} where frame.data is the event payload,
//   conn.onClose = () => {}, conn.close(), conn.terminate().
// Kept deliberately lean (no per-message allocations beyond JSON) so that the load generator
// is not the bottleneck.
import WebSocket from 'ws';
import { io } from 'socket.io-client';
import { SignJWT } from 'jose';

export class ReplyError extends Error {
  constructor(code, message) {
    super(`${code}: ${message}`);
    this.code = code;
  }
}

const noop = () => {};

export async function mintToken(secret, userId, ttlSeconds = 3600) {
  return new SignJWT({ name: userId })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(userId)
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
    .sign(new TextEncoder().encode(secret));
}

/**
 * What the two raw-WebSocket targets share: replies matched to requests by id (with a
 * timeout), error replies nobody waits for counted by code, and close handling.
 */
class WsConn {
  /** @param {WebSocket} ws @param {number} timeoutMs */
  constructor(ws, timeoutMs) {
    this.ws = ws;
    this.timeoutMs = timeoutMs;
    this.nextId = 1;
    /** @type {Map<string | number, { resolve: (value: any) => void, reject: (err: Error) => void, timer: NodeJS.Timeout }>} */
    this.pending = new Map();
    this.errors = 0;
    /** @type {Record<string, number>} */
    this.errorCodes = {};
    /** @type {(type: string, frame: any) => void} */
    this.onEvent = noop;
    /** @type {(code?: number) => void} */
    this.onClose = noop;
    this.closed = false;
    /** @type {number | undefined} */
    this.closeCode = undefined;
    /** @type {string | undefined} the id the server routes by */
    this.id = undefined;
    ws.on('close', (code) => {
      this.closed = true;
      this.closeCode = code;
      for (const p of this.pending.values()) {
        clearTimeout(p.timer);
        p.reject(new ReplyError('closed', `socket closed (${code})`));
      }
      this.pending.clear();
      this.onClose(code);
    });
    ws.on('error', noop);
  }

  /** @param {string} code */
  countError(code) {
    this.errors++;
    this.errorCodes[code] = (this.errorCodes[code] ?? 0) + 1;
  }

  /**
   * Sends `frame` and resolves with the reply to `id` (settled by `settle`).
   * @param {string | number} id @param {object} frame @param {string} label
   * @returns {Promise<any>}
   */
  send(id, frame, label) {
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new ReplyError('closed', 'socket closed'));
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new ReplyError('timeout', `no reply to ${label}`));
      }, this.timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.ws.send(JSON.stringify(frame));
    });
  }

  /**
   * Settles the request `id` with `error` or `value`; an error nobody waits for (a fired
   * command's) is counted instead.
   * @param {string | number} id @param {{ code?: string, message?: string } | undefined} error @param {unknown} value
   */
  settle(id, error, value) {
    const p = this.pending.get(id);
    if (p) {
      this.pending.delete(id);
      clearTimeout(p.timer);
      if (error) p.reject(new ReplyError(error.code, error.message));
      else p.resolve(value);
    } else if (error) this.countError(error.code ?? 'unknown');
  }

  /** @returns {Promise<void>} */
  close() {
    if (this.closed) return Promise.resolve();
    return new Promise((r) => {
      this.onClose = () => r();
      this.ws.close(1000);
      setTimeout(r, 2000).unref();
    });
  }

  terminate() {
    this.ws.terminate();
  }
}

/**
 * What the lean client offers: the JSON encoding and, like the SDK, `ice.on-request` (it never
 * starts a call, so it never asks `ice.servers`; ADR 0095). BENCH_SB_ICE=push leaves the latter
 * out: the gateway then fetches TURN credentials per connect and pushes `session.ice` (ADR 0080),
 * the behaviour of clients before it, for before/after runs on one build.
 */
const SB_PROTOCOLS = process.env.BENCH_SB_ICE === 'push' ? ['switchboard.v1'] : ['switchboard.v1', 'ice.on-request'];

/** Switchboard protocol v1 over a raw `ws` socket. */
export class SbConn extends WsConn {
  /** @param {WebSocket} ws @param {number} timeoutMs */
  constructor(ws, timeoutMs) {
    super(ws, timeoutMs);
    /** @type {string | undefined} */
    this.sessionId = undefined;
    /** @type {string | undefined} */
    this.userId = undefined;
    ws.on('message', (raw) => this.#frame(raw));
  }

  /**
   * @param {string} url @param {string} token
   * @param {{ timeoutMs?: number, localAddress?: string }} [options]
   * @returns {Promise<SbConn>}
   */
  static connect(url, token, { timeoutMs = 10_000, localAddress } = {}) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, SB_PROTOCOLS, { headers: { Authorization: `Bearer ${token}` }, perMessageDeflate: false, handshakeTimeout: timeoutMs, localAddress });
      const conn = new SbConn(ws, timeoutMs);
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new ReplyError('timeout', 'no hello'));
      }, timeoutMs);
      conn.onEvent = (type, f) => {
        if (type !== 'hello') return;
        clearTimeout(timer);
        conn.id = f.data.connectionId;
        conn.sessionId = f.data.sessionId;
        conn.userId = f.data.userId;
        conn.onEvent = noop;
        resolve(conn);
      };
      ws.once('unexpected-response', (_req, res) => {
        clearTimeout(timer);
        ws.terminate();
        reject(new ReplyError('http', `upgrade refused with HTTP ${res.statusCode}`));
      });
      ws.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      conn.onClose = () => {
        clearTimeout(timer);
        reject(new ReplyError('closed', 'closed before hello'));
      };
    });
  }

  /** @param {WebSocket.RawData} raw */
  #frame(raw) {
    let f;
    try {
      f = JSON.parse(String(raw));
    } catch {
      return;
    }
    if (f.re !== undefined) {
      if (f.type === 'error') this.settle(f.re, { code: f.error?.code, message: f.error?.message }, undefined);
      else this.settle(f.re, undefined, f.data ?? {});
      return;
    }
    if (f.type === 'error') {
      this.errors++;
      return;
    }
    this.onEvent(f.type, f);
  }

  /** @param {string} type @param {unknown} data @returns {Promise<any>} */
  request(type, data) {
    const id = String(this.nextId++);
    return this.send(id, { id, type, data }, type);
  }

  /** @param {string} type @param {unknown} data */
  fire(type, data) {
    if (!this.closed) this.ws.send(JSON.stringify({ id: `f${this.nextId++}`, type, data }));
  }
}

/** The reference Socket.IO server (bench/reference/socketio-server.mjs), acks as replies. */
export class SioConn {
  /** @param {import('socket.io-client').Socket} socket @param {number} timeoutMs */
  constructor(socket, timeoutMs) {
    this.socket = socket;
    this.timeoutMs = timeoutMs;
    this.errors = 0;
    /** @type {Record<string, number>} */
    this.errorCodes = {};
    /** @type {(type: string, frame: any) => void} */
    this.onEvent = noop;
    /** @type {() => void} */
    this.onClose = noop;
    this.closed = false;
    /** @type {string | undefined} */
    this.id = undefined;
    this.ackErr = (r) => {
      if (!r?.ok) {
        this.errors++;
        this.errorCodes[r?.error?.code ?? 'unknown'] = (this.errorCodes[r?.error?.code ?? 'unknown'] ?? 0) + 1;
      }
    };
    socket.onAny((type, frame) => this.onEvent(type, frame));
    socket.on('disconnect', () => {
      this.closed = true;
      this.onClose();
    });
  }

  /**
   * @param {string} url @param {string} token
   * @param {{ timeoutMs?: number, localAddress?: string }} [options]
   * @returns {Promise<SioConn>}
   */
  static connect(url, token, { timeoutMs = 10_000, localAddress } = {}) {
    return new Promise((resolve, reject) => {
      // engine.io-client hands `localAddress` and `perMessageDeflate: false` to `ws` at runtime;
      // its types omit the first and allow only an object for the second
      const wsOptions = /** @type {any} */ ({ perMessageDeflate: false, localAddress });
      const socket = io(url, { transports: ['websocket'], auth: { token }, forceNew: true, reconnection: false, timeout: timeoutMs, ...wsOptions });
      socket.once('connect', () => {
        const c = new SioConn(socket, timeoutMs);
        c.id = socket.id;
        resolve(c);
      });
      socket.once('connect_error', (err) => {
        socket.close();
        reject(err);
      });
    });
  }

  async request(type, data) {
    const r = await this.socket.timeout(this.timeoutMs).emitWithAck(type, data);
    if (!r?.ok) throw new ReplyError(r?.error?.code ?? 'unknown', type);
    return r.data;
  }

  fire(type, data) {
    this.socket.emit(type, data, this.ackErr);
  }

  close() {
    this.socket.close();
    return Promise.resolve();
  }

  terminate() {
    this.socket.io.engine?.close();
  }
}

/**
 * Centrifugo's client protocol v2 over JSON WebSocket (`/connection/websocket`): commands
 * `{id, connect|subscribe|publish|presence|unsubscribe}`, replies `{id, <same>|error}`, pushes
 * `{push: {channel, pub|join|leave}}`, newline-separated when several share a frame; the server
 * pings with `{}` and expects `{}` back. The benchmark's verbs map onto channels (a room is
 * `room:<id>` for broadcasts and presence plus `chat:<id>` with history for chat; a signal goes
 * to the user-limited channel `personal:#<user>`); `conn.id` is the user id, which is what a
 * Centrifugo publisher addresses.
 */
export class CentConn extends WsConn {
  /** @param {WebSocket} ws @param {number} timeoutMs */
  constructor(ws, timeoutMs) {
    super(ws, timeoutMs);
    /** @type {string | undefined} */
    this.userId = undefined;
    /** @type {string | undefined} */
    this.clientId = undefined;
    ws.on('message', (raw) => {
      for (const line of String(raw).split('\n')) if (line) this.#frame(line);
    });
  }

  /**
   * @param {string} url @param {string} token
   * @param {{ userId?: string, timeoutMs?: number, localAddress?: string }} [options]
   * @returns {Promise<CentConn>}
   */
  static connect(url, token, { userId, timeoutMs = 10_000, localAddress } = {}) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: timeoutMs, localAddress });
      const conn = new CentConn(ws, timeoutMs);
      conn.id = userId;
      conn.userId = userId;
      ws.once('open', () =>
        conn.#command({ connect: { token, name: 'bench' } }).then((r) => {
          conn.clientId = r.connect.client;
          resolve(conn);
        }, reject),
      );
      ws.once('unexpected-response', (_req, res) => {
        ws.terminate();
        reject(new ReplyError('http', `upgrade refused with HTTP ${res.statusCode}`));
      });
      ws.once('error', reject);
    });
  }

  /** @param {string} line */
  #frame(line) {
    let f;
    try {
      f = JSON.parse(line);
    } catch {
      return;
    }
    if (f.id !== undefined) {
      this.settle(f.id, f.error, f);
      return;
    }
    if (!f.push) {
      if (!this.closed) this.ws.send('{}'); // the server's ping: answer with a pong
      return;
    }
    const { channel, pub } = f.push;
    if (!pub) return;
    if (channel.startsWith('room:') && pub.data.from !== this.id) this.onEvent('room.broadcast', { room: channel.slice(5), data: { data: pub.data } });
    else if (channel.startsWith('chat:')) this.onEvent('chat.message', { room: channel.slice(5), data: { message: pub.data } });
    else if (channel.startsWith('personal:')) this.onEvent('signal', { data: pub.data });
  }

  /** @param {Record<string, object>} cmd one Centrifugo command @returns {Promise<any>} */
  #command(cmd) {
    const id = this.nextId++;
    return this.send(id, { id, ...cmd }, Object.keys(cmd)[0]);
  }

  async request(type, data) {
    switch (type) {
      case 'ping': // no channel, no broker: a pure round trip to the node
        await this.#command({ unsubscribe: { channel: 'room:ping' } });
        return {};
      case 'room.create':
      case 'room.join': {
        const roomId = type === 'room.create' ? `r${Math.random().toString(36).slice(2)}${Date.now().toString(36)}` : data.roomId;
        // Subscribe to both channels of the room and fetch its member list, as one frame.
        const [, , presence] = await Promise.all([
          this.#command({ subscribe: { channel: `room:${roomId}` } }),
          this.#command({ subscribe: { channel: `chat:${roomId}` } }),
          this.#command({ presence: { channel: `room:${roomId}` } }),
        ]);
        return { room: { id: roomId }, participants: Object.values(presence.presence?.presence ?? {}) };
      }
      case 'personal.subscribe':
        await this.#command({ subscribe: { channel: `personal:#${this.id}` } });
        return {};
      case 'room.broadcast':
        await this.#command({ publish: { channel: `room:${data.roomId}`, data: { from: this.id, ...data.data } } });
        return {};
      case 'signal':
        await this.#command({ publish: { channel: `personal:#${data.to}`, data: { from: this.id, kind: data.kind, payload: data.payload } } });
        return {};
      case 'chat.send': {
        const message = { userId: this.id, text: data.text, clientMsgId: data.clientMsgId };
        await this.#command({ publish: { channel: `chat:${data.roomId}`, data: message } });
        return { message };
      }
      default:
        throw new ReplyError('bad_request', `Centrifugo has no ${type}`);
    }
  }

  /** @param {string} type @param {any} data */
  fire(type, data) {
    this.request(type, data).catch((err) => this.countError(err.code));
  }
}

const PEERJS_TYPES = { offer: 'OFFER', answer: 'ANSWER', ice: 'CANDIDATE' };
const PEERJS_KINDS = { OFFER: 'offer', ANSWER: 'answer', CANDIDATE: 'ice' };

/** PeerJS server protocol: only 1:1 relay (signal) exists, no rooms, no replies. */
export class PeerConn {
  /** @param {WebSocket} ws @param {string} id */
  constructor(ws, id) {
    this.ws = ws;
    this.id = id;
    this.errors = 0;
    /** @type {Record<string, number>} */
    this.errorCodes = {};
    /** @type {(type: string, frame: any) => void} */
    this.onEvent = noop;
    /** @type {() => void} */
    this.onClose = noop;
    this.closed = false;
    ws.on('message', (raw) => {
      const m = JSON.parse(String(raw));
      const kind = PEERJS_KINDS[m.type];
      if (kind) this.onEvent('signal', { data: { from: m.src, kind, payload: m.payload } });
      else if (m.type === 'ERROR' || m.type === 'EXPIRE') this.errors++;
    });
    ws.on('close', () => {
      this.closed = true;
      this.onClose();
    });
    ws.on('error', noop);
    this.heartbeat = setInterval(() => this.ws.readyState === WebSocket.OPEN && this.ws.send('{"type":"HEARTBEAT"}'), 5000);
    this.heartbeat.unref();
  }

  static connect(url, id, { timeoutMs = 10_000 } = {}) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`${url}?key=peerjs&id=${encodeURIComponent(id)}&token=${Math.random().toString(36).slice(2)}`, { perMessageDeflate: false, handshakeTimeout: timeoutMs });
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new ReplyError('timeout', 'no OPEN'));
      }, timeoutMs);
      ws.once('message', (raw) => {
        clearTimeout(timer);
        const m = JSON.parse(String(raw));
        if (m.type === 'OPEN') resolve(new PeerConn(ws, id));
        else {
          ws.terminate();
          reject(new ReplyError('peerjs', `${m.type} ${m.payload?.msg ?? ''}`));
        }
      });
      ws.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  /** @param {string} type @param {unknown} [_data] @returns {Promise<any>} */
  request(type, _data) {
    return Promise.reject(new ReplyError('bad_request', `PeerJS has no ${type}`));
  }

  fire(type, data) {
    if (type !== 'signal' || this.closed) return;
    this.ws.send(JSON.stringify({ type: PEERJS_TYPES[data.kind], dst: data.to, payload: data.payload }));
  }

  close() {
    clearInterval(this.heartbeat);
    this.ws.close();
    return Promise.resolve();
  }

  terminate() {
    clearInterval(this.heartbeat);
    this.ws.terminate();
  }
}
