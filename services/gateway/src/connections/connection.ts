import type { Caller } from '@switchboard/platform';
import { checkEvent, contractChecksEnabled, type EventData, type GatewayEvent } from '@switchboard/protocol';
import { pack } from 'msgpackr';
import WebSocket from 'ws';
import { MSGPACK_PROTOCOL } from '../auth/credentials.js';
import type { AttestedClient } from '../attestation/policy.cache.js';
import type { Identity } from '../auth/token.verifier.js';
import { TokenBucket } from './token-bucket.js';

/** An event as it reaches a connection: decoded envelope plus its JSON body. */
export interface DeliveredEvent {
  type: string;
  roomId: string;
  seq: number;
  ts: number;
  /** Raw JSON of `data`, forwarded without re-encoding. */
  dataJson: string;
  excludeConnectionId: string;
  onlyConnectionIds: string[];
  /** Envelope control data (bus.v1.Event): after this event the connection, every connection of the user, or everyone leaves `roomId`. */
  leaveConnectionId?: string;
  leaveUserId?: string;
  roomClosed?: boolean;
  /** Binary body (bus.v1.Event `payload`, push-to-talk audio): clients get it as `data.data`. */
  payload?: Uint8Array;
  /** The JSON frame, built once per event however many local connections receive it. */
  frame?: string;
  /** The MessagePack frame (bin payload, never base64; or the JSON frame re-encoded), built once for every MessagePack connection. */
  packed?: Buffer;
  /** The WebSocket frames (header + payload) of `frame` and `packed`, built once and written as they are to every socket (ADR 0078). */
  wire?: WireFrames;
  /** `data` parsed, when a control decision needs it (once per event). */
  parsed?: Record<string, unknown>;
}

export function eventData(e: DeliveredEvent): Record<string, unknown> {
  return (e.parsed ??= JSON.parse(e.dataJson) as Record<string, unknown>);
}

/** An event's frames as they go on the wire; reset together with `frame` when the body changes (replay redaction). */
export interface WireFrames {
  text?: Buffer;
  binary?: Buffer;
}

/** Per connection and room: where its ordered event stream stands. */
export interface RoomCursor {
  /** Last seq delivered (or skipped as not addressed to it); null while the join is in flight. */
  lastSeq: number | null;
  /** Events that arrived while joining. */
  early: DeliveredEvent[];
  /** Out-of-order events waiting for the gap to fill. */
  ahead: Map<number, DeliveredEvent>;
  gapTimer?: NodeJS.Timeout;
  /** The room's `replayEphemeral` as this connection last learned it (join/create/update reply, `room.updated`); unset while unknown (a resumed seat). */
  replayEphemeral?: boolean;
  /** This replica may have missed one of the room's events (a skipped gap, a NATS disconnect): rooms, not the gateway, authorizes this seat's broadcasts from then on (ADR 0062). */
  missedEvents?: boolean;
  /** When rooms last confirmed the seat (join reply, a broadcast or typing it answered); the gateway vouches for SEAT_RECHECK_MS after it (ADR 0062). */
  seatConfirmedAt?: number;
}

export function eventFrameJson(e: DeliveredEvent): string {
  const room = e.roomId ? `,"room":${JSON.stringify(e.roomId)}` : '';
  const seq = e.seq ? `,"seq":${e.seq}` : '';
  return `{"type":${JSON.stringify(e.type)}${room}${seq},"ts":${e.ts},"data":${e.payload ? withPayloadJson(e.dataJson, e.payload) : e.dataJson || '{}'}}`;
}

/** `data` JSON with the binary payload added as base64 `data` (JSON clients; ADR 0053). */
function withPayloadJson(dataJson: string, payload: Uint8Array): string {
  const b64 = `"data":"${Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('base64')}"`;
  const body = (dataJson || '{}').trimEnd();
  return body === '{}' ? `{${b64}}` : `${body.slice(0, -1)},${b64}}`;
}

/** The MessagePack frame of an event with a payload: `data.data` is `bin`. */
function eventFramePacked(e: DeliveredEvent): Buffer {
  return pack({ type: e.type, ...(e.roomId ? { room: e.roomId } : {}), ...(e.seq ? { seq: e.seq } : {}), ts: e.ts, data: { ...eventData(e), data: e.payload } });
}

const OPCODE_TEXT = 0x1;
const OPCODE_BINARY = 0x2;

/**
 * One unmasked, unfragmented, uncompressed WebSocket frame (RFC 6455 §5.2) as a server writes
 * it: the same bytes `ws.send` writes for that payload, in one Buffer so that N sockets get one
 * `write` each instead of a header, a UTF-8 encoding of the string and a `writev` each.
 */
export function wsFrame(payload: string | Buffer, opcode: number): Buffer {
  const length = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
  const header = length < 126 ? 2 : length < 65536 ? 4 : 10;
  const out = Buffer.allocUnsafe(header + length);
  out[0] = 0x80 | opcode; // FIN, no RSV bits
  if (length < 126) out[1] = length;
  else if (length < 65536) {
    out[1] = 126;
    out.writeUInt16BE(length, 2);
  } else {
    out[1] = 127;
    out.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    out.writeUInt32BE(length >>> 0, 6);
  }
  if (typeof payload === 'string') out.write(payload, header, 'utf8');
  else payload.copy(out, header);
  return out;
}

/** What of ws's private Sender a prebuilt frame needs (ws 8: `_sender.sendFrame`, `_state` 0 = nothing queued behind a deflate or blob read). */
interface WsSender {
  sendFrame(list: Buffer[], cb?: () => void): void;
  _state?: number;
}

/**
 * How much a connection may have queued but unsent, and what happens beyond it; `writes` is
 * WS_WRITES: `frame` (default) one socket write per frame, `turn` one per event-loop turn (ADR
 * 0082), `burst` the same from a socket's second frame in a turn on, its first written at once (ADR 0099).
 */
export interface OutboundLimits {
  maxBufferedBytes: number;
  closeGraceMs: number;
  writes?: 'frame' | 'turn' | 'burst';
}

interface Corkable {
  cork(): void;
  uncork(): void;
  /** Bytes the socket holds: corked, queued behind a write in progress, or in that write. */
  readonly writableLength: number;
}

/**
 * Held bytes beyond which a socket's frames of the turn are written at once rather than at the
 * turn's end (ADR 0087): a write per 64 KiB is already cheap, and bytes held back look like a
 * backlog to the slow-consumer check (`bufferedAmount`) though the kernel was never offered them.
 */
export const HOLD_MAX_BYTES = 64 * 1024;

/**
 * Sockets holding this event-loop turn's frames, uncorked together in its check phase (ADR 0082):
 * the events one NATS read carries for a socket (a storm's `participant_updated`s, a chat burst)
 * leave in one write instead of one syscall and one client wake-up each.
 */
const heldThisTurn = new Set<Corkable>();
let releaseScheduled = false;
function releaseHeld(): void {
  releaseScheduled = false;
  for (const socket of heldThisTurn) socket.uncork();
  heldThisTurn.clear();
}
function holdForTurn(socket: Corkable): void {
  if (heldThisTurn.has(socket)) {
    if (socket.writableLength >= HOLD_MAX_BYTES) writeHeldNow(socket);
    return;
  }
  socket.cork();
  heldThisTurn.add(socket);
  if (!releaseScheduled) {
    releaseScheduled = true;
    setImmediate(releaseHeld);
  }
}
/** Hands what a socket holds for this turn to the kernel now; it stays held for the rest of the turn. */
function writeHeldNow(socket: Corkable): void {
  if (!heldThisTurn.has(socket)) return;
  socket.uncork();
  socket.cork();
}

/**
 * The event-loop turn as WS_WRITES=burst counts it: bumped in the check phase of a turn that
 * wrote, so one `setImmediate` per such turn for the whole process, not one per socket.
 */
let turn = 0;
let turnEnding = false;
function endTurn(): void {
  turnEnding = false;
  turn++;
}
function currentTurn(): number {
  if (!turnEnding) {
    turnEnding = true;
    setImmediate(endTurn);
  }
  return turn;
}

/** Runs `fn` with the socket corked: what it writes leaves in one write when it returns. */
export function corkedDuring<T>(socket: Pick<Corkable, 'cork' | 'uncork'> | undefined, fn: () => T): T {
  socket?.cork();
  try {
    return fn();
  } finally {
    socket?.uncork();
  }
}

const CONTRACT_CHECKS = contractChecksEnabled();

/** Close code for a slow consumer (RFC 6455 "try again later"): reconnect, then `session.resume`. */
export const SLOW_CONSUMER_CLOSE = 1013;

/** One client socket on this replica and everything the replica knows about it. */
export class Connection {
  readonly rooms = new Map<string, RoomCursor>();
  /** Connections this one may signal outside a shared room (accepted pairings). */
  readonly paired = new Set<string>();
  readonly bucket: TokenBucket;
  readonly binary: boolean;
  readonly openedAt = Date.now();
  violations = 0;
  /** Push-to-talk audio has its own budget (PTT_RATE_PER_SEC), so talking does not starve commands. */
  pttBucket?: TokenBucket;
  /** Resolves once `hello` is out; frames wait for it so hello is always the first frame. */
  ready: Promise<void> = Promise.resolve();
  missedPongs = 0;
  closed = false;
  /** Set once this connection has asked for `session.resume` (allowed once per connection). */
  resumed = false;
  /** The device and build its attestation token names (ATTESTATION_MODE log/enforce). */
  attested?: AttestedClient;
  /** The client offered `ice.on-request`: it asks `ice.servers` when it needs TURN, no `session.ice` is pushed (ADR 0095). */
  iceOnRequest = false;
  /** Why the server ended this connection (metrics label); unset when the client left. */
  closeReason?: string;
  private expiryTimer?: NodeJS.Timeout;
  private expiryCallback?: () => void;
  /** The turn of this socket's last frame (WS_WRITES=burst): a second frame in the same turn starts holding. */
  private lastWriteTurn = -1;
  /** ws's sender when prebuilt frames can be written to it directly (see the constructor). */
  private readonly sender?: WsSender;

  constructor(
    readonly id: string,
    readonly sessionId: string,
    readonly identity: Identity,
    readonly nodeId: string,
    readonly ws: WebSocket,
    rate: { perSec: number; burst: number },
    private readonly outbound: OutboundLimits = { maxBufferedBytes: Infinity, closeGraceMs: 0 },
  ) {
    this.bucket = new TokenBucket(rate.perSec, rate.burst);
    this.binary = ws.protocol === MSGPACK_PROTOCOL;
    // Prebuilt frames only where ws would write the same bytes: its internal sender is there and
    // no extension (permessage-deflate) is negotiated; anything else goes through ws.send.
    const sender = (ws as unknown as { _sender?: Partial<WsSender> })._sender;
    this.sender = typeof sender?.sendFrame === 'function' && !ws.extensions ? (sender as WsSender) : undefined;
  }

  get userId() {
    return this.identity.userId;
  }

  caller(): Caller {
    return {
      userId: this.identity.userId,
      connectionId: this.id,
      sessionId: this.sessionId,
      nodeId: this.nodeId,
      name: this.identity.name,
      device: this.identity.device,
      roles: this.identity.roles,
    };
  }

  /**
   * Runs `fn` with the socket corked, so the frames it sends leave in one write (a resume's
   * replay is many frames at once; each `ws.send` alone is one syscall). `fn` must not await.
   */
  corked<T>(fn: () => T): T {
    return corkedDuring(this.socket(), fn);
  }

  /** ws keeps its net.Socket private; cork/uncork nest, so ws's own per-frame cork is harmless. */
  private socket(): Corkable | undefined {
    return (this.ws as unknown as { _socket?: Corkable })._socket;
  }

  /** Sends a reply or server frame; false when the socket is gone (or was just closed as a slow consumer). */
  send(frame: object): boolean {
    if (!this.writable()) return false;
    // One Buffer, one socket write, where ws.send would cork a header and the payload into a writev (ADR 0100).
    const data = this.binary ? pack(frame) : JSON.stringify(frame);
    this.write(data, this.sender && wsFrame(data, this.binary ? OPCODE_BINARY : OPCODE_TEXT));
    return true;
  }

  /** An event the gateway writes itself (`hello`, `session.draining`); checked against its schema in development and tests. */
  sendOwnEvent<E extends GatewayEvent>(type: E, data: EventData<E>): boolean {
    if (CONTRACT_CHECKS) checkEvent(type, data, 'gateway');
    return this.send({ type, ts: Date.now(), data });
  }

  /**
   * Sends an event. Its frame is serialized, encoded and framed once per event on this replica,
   * however many local connections receive it (`frame`, `packed`, `wire`): the per-socket cost
   * is the write.
   */
  sendEvent(e: DeliveredEvent): boolean {
    if (!this.writable()) return false;
    const wire = (e.wire ??= {});
    if (this.binary) {
      const packed = (e.packed ??= e.payload ? eventFramePacked(e) : pack(JSON.parse((e.frame ??= eventFrameJson(e)))));
      this.write(packed, this.sender && (wire.binary ??= wsFrame(packed, OPCODE_BINARY)));
    } else {
      const frame = (e.frame ??= eventFrameJson(e));
      this.write(frame, this.sender && (wire.text ??= wsFrame(frame, OPCODE_TEXT)));
    }
    return true;
  }

  /** Sends a frame already serialized as JSON (built once for many connections). */
  sendJson(frame: string): boolean {
    if (!this.writable()) return false;
    if (!this.binary) {
      this.ws.send(frame);
      return true;
    }
    return this.send(JSON.parse(frame));
  }

  /**
   * Writes `framed` (the frame of `data`, shared by every socket) straight to ws's sender, or
   * `data` through ws.send when there is no shareable frame or ws has frames queued (a queued
   * frame must not be overtaken). Both count in `bufferedAmount` alike (the socket's buffer).
   */
  private write(data: string | Buffer, framed: Buffer | undefined): void {
    if (framed && this.sender && !this.sender._state) this.sender.sendFrame([framed]);
    else this.ws.send(data);
  }

  /**
   * Open, and not holding more unsent bytes than allowed. A client that does not read (or
   * reads slower than its events arrive) would otherwise grow this process without bound:
   * beyond the cap it is closed with 1013 and, if the close frame cannot get out within the
   * grace (it sits behind the unread bytes), dropped.
   */
  private writable(): boolean {
    if (this.ws.readyState !== WebSocket.OPEN) return false;
    const held = this.holdsThisFrame() ? this.socket() : undefined;
    // Bytes held for the turn were never offered to the kernel: a reader is judged on what the
    // kernel would not take, so they are written first (ADR 0087: a turn that held more than the
    // cap for a reader that reads closed it as a slow consumer).
    if (held && this.ws.bufferedAmount > this.outbound.maxBufferedBytes) writeHeldNow(held);
    if (this.ws.bufferedAmount <= this.outbound.maxBufferedBytes) {
      // Every frame written from here on, until the turn's check phase, leaves in one write.
      if (held) holdForTurn(held);
      return true;
    }
    this.close(SLOW_CONSUMER_CLOSE, 'slow consumer', 'slow_consumer');
    setTimeout(() => this.ws.terminate(), this.outbound.closeGraceMs).unref();
    return false;
  }

  /**
   * Whether this frame is held for the turn's end: always with `turn`; with `burst` from the
   * socket's second frame in the turn (a resume's reply, replays and updates leave in one write,
   * while a steady fan-out's one frame per socket per turn is written at once, as with `frame`).
   */
  private holdsThisFrame(): boolean {
    if (this.outbound.writes === 'turn') return true;
    if (this.outbound.writes !== 'burst') return false;
    const now = currentTurn();
    if (this.lastWriteTurn === now) return true;
    this.lastWriteTurn = now;
    return false;
  }

  /** Closes the socket; `why` labels the disconnect metric. */
  close(code: number, reason: string, why?: string): void {
    this.closeReason ??= why;
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(code, reason);
  }

  /** Drops the socket without a close handshake (dead peer). */
  terminate(why: string): void {
    this.closeReason ??= why;
    this.ws.terminate();
  }

  onExpiry(cb: () => void, exp = this.identity.exp): void {
    this.expiryCallback = cb;
    clearTimeout(this.expiryTimer);
    const ms = exp * 1000 - Date.now();
    // setTimeout overflows past 2^31-1 ms; such tokens outlive any connection anyway.
    if (ms < 2 ** 31 - 1) this.expiryTimer = setTimeout(cb, Math.max(0, ms));
  }

  /** `session.refresh`: a fresh token of the same user moves the expiry (seconds since the epoch). */
  renewExpiry(exp: number): void {
    if (this.expiryCallback) this.onExpiry(this.expiryCallback, exp);
  }

  dispose(): void {
    this.closed = true;
    clearTimeout(this.expiryTimer);
    for (const cursor of this.rooms.values()) clearTimeout(cursor.gapTimer);
  }
}
