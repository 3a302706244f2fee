import { Inject, Injectable } from '@nestjs/common';
import { CommandBus, CONFIG, LOGGER, type Logger } from '@switchboard/platform';
import { badRequest, commandSpec, forbidden, PTT_LIMITS, ProtocolError, subjects, tooLarge, type CommandData, type EventData, type PttEndReason, type Reply } from '@switchboard/protocol';
import type { GatewayConfig } from '../config.js';
import { CommandRouter } from '../commands/command.router.js';
import { decodeFrame, peekId, peekType } from '../commands/frame.codec.js';
import { eventData, type Connection, type DeliveredEvent } from '../connections/connection.js';
import { TokenBucket } from '../connections/token-bucket.js';
import { BeforeForward, Command, InterceptFrames, OnConnectionClosed, OnEvent, OnRoomLeft } from '../wiring/decorators.js';
import { PttMetrics } from './ptt.metrics.js';

/** A floor grant of a local connection: the talk spurt it may send audio for. */
interface Talk {
  conn: Connection;
  roomId: string;
  talkId: string;
  /** The lease's end as last granted or refreshed; frames after it are refused (the sweep's `floor.released` may lag). */
  expiresAt: number;
  startedAt: number;
  lastSeq: number;
  frames: number;
  bytes: number;
  /** The packets, in order, for the recording (bounded by PTT_MAX_TALK_BYTES). */
  packets: Uint8Array[];
}

/** Largest `ptt.audio` frame worth decoding: the packet (base64 in JSON) plus the envelope. */
const MAX_AUDIO_FRAME_BYTES = Math.ceil(PTT_LIMITS.packetBytes / 3) * 4 + 512;

const FLOOR_END: Record<string, PttEndReason> = { released: 'released', timeout: 'timeout', disconnected: 'disconnected' };

/**
 * Push-to-talk audio over the gateway (ADR 0053). Admission is local: the replica holding the
 * floor holder's connection knows the grant from the `floor.request` reply it forwards (and
 * from `floor.taken`), so no service is asked per packet. Admitted packets go out on the room's
 * live subject (ephemeral, never in the replay stream) from this one publisher, so every member
 * on every replica gets them in order; the talk ends on `floor.released` (release, timeout,
 * disconnect after the grace), the holder leaving or closing its socket, a lapsed lease, or
 * the talk's caps; then media records it.
 */
@Injectable()
export class PttService {
  /** Grants of local connections: connection id → room id → talk. */
  private readonly talks = new Map<string, Map<string, Talk>>();
  /** The last talk ended per connection and room: a late `floor.taken` of it must not reopen it. */
  private readonly ended = new Map<string, string>();
  private readonly schema = commandSpec('ptt.audio')!.schema;

  constructor(
    private readonly router: CommandRouter,
    private readonly bus: CommandBus,
    private readonly metrics: PttMetrics,
    @Inject(CONFIG) private readonly config: GatewayConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Only a ptt.audio frame too odd for the byte pre-filter (escaped type) reaches the command path. */
  @Command('ptt.audio')
  oddAudioFrame(): Reply<'ptt.audio'> {
    throw badRequest('send ptt.audio with a plain "type" string of at most 64 characters');
  }

  @BeforeForward('floor.request')
  async floorRequest(data: CommandData<'floor.request'>, conn: Connection, send: () => Promise<Reply<'floor.request'>>): Promise<Reply<'floor.request'>> {
    const reply = await send();
    this.granted(conn, data.roomId, reply.talkId, reply.expiresAt);
    return reply;
  }

  @BeforeForward('floor.release')
  async floorRelease(data: CommandData<'floor.release'>, conn: Connection, send: () => Promise<Reply<'floor.release'>>): Promise<Reply<'floor.release'>> {
    const reply = await send();
    this.end(this.talkOf(conn.id, data.roomId), 'released');
    return reply;
  }

  @OnConnectionClosed()
  connectionClosed(conn: Connection): void {
    for (const talk of [...(this.talks.get(conn.id)?.values() ?? [])]) this.end(talk, 'disconnected');
    for (const roomId of conn.rooms.keys()) this.ended.delete(`${conn.id}:${roomId}`);
  }

  @OnRoomLeft()
  roomLeft(conn: Connection, roomId: string): void {
    this.end(this.talkOf(conn.id, roomId), 'left');
    this.ended.delete(`${conn.id}:${roomId}`);
  }

  /** Takes a frame off the command path when it is `ptt.audio` (peeked without decoding; larger frames cannot be). */
  @InterceptFrames()
  maybeAudio(conn: Connection, raw: Buffer): boolean {
    if (!isAudioFrame(raw, conn.binary)) return false;
    this.audio(conn, raw);
    return true;
  }

  /** One `ptt.audio` frame: rate, decode (MessagePack bin allowed), schema, floor, order, caps; then relay and keep for the recording. */
  private audio(conn: Connection, raw: Buffer): void {
    const bucket = (conn.pttBucket ??= new TokenBucket(this.config.PTT_RATE_PER_SEC, this.config.PTT_BURST));
    const retryAfterMs = bucket.take();
    if (retryAfterMs > 0) {
      this.metrics.frames.inc({ outcome: 'rate_limited' });
      if (++conn.violations >= this.config.RATE_MAX_VIOLATIONS) return conn.close(1008, 'rate limit exceeded', 'flooding');
      return this.router.fail(conn, peekId(raw, conn.binary), new ProtocolError('rate_limited', 'too many audio frames', undefined, retryAfterMs));
    }
    if (raw.length > MAX_AUDIO_FRAME_BYTES) return this.refuse(conn, peekId(raw, conn.binary), tooLarge(`an audio packet is at most ${PTT_LIMITS.packetBytes} bytes`));
    const decoded = decodeFrame(raw, conn.binary, { maxDepth: 4, maxNodes: 32, allowBinary: true });
    if (!decoded.ok) return this.refuse(conn, decoded.id, new ProtocolError('bad_request', decoded.message));
    const { id } = decoded.frame;
    const parsed = this.schema.safeParse(decoded.frame.data);
    if (!parsed.success) {
      const why = parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || 'data'}: ${i.message}`);
      return this.refuse(conn, id, new ProtocolError('bad_request', why.join('; ')));
    }
    const data = parsed.data as CommandData<'ptt.audio'>;
    const talk = this.talkOf(conn.id, data.roomId);
    if (!talk || talk.talkId !== data.talkId) return this.refuse(conn, id, forbidden(talk ? 'that talk is over; use the talkId of your current floor.request' : 'you do not hold the floor'));
    const now = Date.now();
    if (now > talk.expiresAt) {
      this.end(talk, 'timeout');
      return this.refuse(conn, id, forbidden('your floor lease lapsed; refresh it with floor.request while talking'));
    }
    if (data.seq <= talk.lastSeq) return this.refuse(conn, id, new ProtocolError('bad_request', `seq must increase (last was ${talk.lastSeq})`));
    const packet = typeof data.data === 'string' ? Buffer.from(data.data, 'base64') : data.data;
    if (packet.length === 0 || packet.length > PTT_LIMITS.packetBytes) return this.refuse(conn, id, tooLarge(`an audio packet is 1 to ${PTT_LIMITS.packetBytes} bytes`));
    if (talk.bytes + packet.length > this.config.PTT_MAX_TALK_BYTES || now - talk.startedAt > this.config.PTT_MAX_TALK_MS) {
      this.metrics.frames.inc({ outcome: 'limit' });
      this.endAtLimit(talk);
      return this.router.fail(conn, id, tooLarge(`a talk may last ${this.config.PTT_MAX_TALK_MS} ms and carry ${this.config.PTT_MAX_TALK_BYTES} bytes; the floor was released`));
    }
    conn.violations = 0;
    talk.lastSeq = data.seq;
    talk.frames++;
    talk.bytes += packet.length;
    if (this.config.PTT_RECORD) talk.packets.push(packet);
    // One publisher per talk (this replica, in frame order): NATS keeps the order to every subscriber.
    this.bus.publish(subjects.live(talk.roomId), {
      type: 'ptt.audio',
      roomId: talk.roomId,
      data: { talkId: talk.talkId, userId: conn.userId, seq: data.seq },
      payload: packet,
      excludeConnectionId: conn.id,
    });
    this.metrics.frames.inc({ outcome: 'relayed' });
    this.metrics.bytesRelayed.inc(packet.length);
    if (id !== undefined) conn.send({ re: id, type: 'ptt.audio.ok', data: {} });
  }

  private refuse(conn: Connection, id: string | undefined, err: ProtocolError): void {
    this.metrics.frames.inc({ outcome: err.code });
    this.router.fail(conn, id, err);
  }

  /** The grant from a `floor.request` reply or a `floor.taken` of this connection; a refresh keeps the talk. */
  private granted(conn: Connection, roomId: string, talkId: string, expiresAt: number): void {
    if (conn.closed || !conn.rooms.has(roomId) || this.ended.get(`${conn.id}:${roomId}`) === talkId) return;
    const current = this.talkOf(conn.id, roomId);
    if (current?.talkId === talkId) {
      current.expiresAt = Math.max(current.expiresAt, expiresAt);
      return;
    }
    this.end(current, 'released');
    let byRoom = this.talks.get(conn.id);
    if (!byRoom) this.talks.set(conn.id, (byRoom = new Map()));
    byRoom.set(roomId, { conn, roomId, talkId, expiresAt, startedAt: Date.now(), lastSeq: -1, frames: 0, bytes: 0, packets: [] });
    this.metrics.active.inc();
  }

  @OnEvent('floor.taken')
  floorTaken(conn: Connection, e: DeliveredEvent): void {
    const d = eventData(e) as EventData<'floor.taken'>;
    if (d.connectionId === conn.id) this.granted(conn, e.roomId, d.talkId, d.expiresAt);
    // Someone else (or this user on another connection) has the floor now: a talk of ours is over.
    else this.end(this.talkOf(conn.id, e.roomId), 'released');
  }

  @OnEvent('floor.released')
  floorReleased(conn: Connection, e: DeliveredEvent): void {
    const d = eventData(e) as EventData<'floor.released'>;
    const talk = this.talkOf(conn.id, e.roomId);
    if (talk && (!d.talkId || d.talkId === talk.talkId)) this.end(talk, FLOOR_END[d.reason] ?? 'released');
  }

  private talkOf(connectionId: string, roomId: string): Talk | undefined {
    return this.talks.get(connectionId)?.get(roomId);
  }

  /** Ends a talk at its cap and gives the floor back on the holder's behalf, so the room is not held by a talk that can say nothing more. */
  private endAtLimit(talk: Talk): void {
    this.end(talk, 'limit');
    this.bus.request('rooms', 'floor.release', talk.conn.caller(), { roomId: talk.roomId }).catch((err: Error) => this.logger.debug({ err: err.message, roomId: talk.roomId }, 'floor release after the talk cap failed'));
  }

  /** Ends a talk once: members hear `ptt.ended` (when it carried audio) and media records it. */
  private end(talk: Talk | undefined, reason: PttEndReason): void {
    if (!talk) return;
    const byRoom = this.talks.get(talk.conn.id);
    if (byRoom?.get(talk.roomId) !== talk) return;
    byRoom.delete(talk.roomId);
    if (!byRoom.size) this.talks.delete(talk.conn.id);
    if (!talk.conn.closed) this.ended.set(`${talk.conn.id}:${talk.roomId}`, talk.talkId);
    this.metrics.active.dec();
    if (!talk.frames) return;
    const endedAt = Date.now();
    this.metrics.talks.inc({ reason });
    this.bus.publish(subjects.live(talk.roomId), {
      type: 'ptt.ended',
      roomId: talk.roomId,
      data: { talkId: talk.talkId, userId: talk.conn.userId, reason, frames: talk.frames, bytes: talk.bytes, durationMs: endedAt - talk.startedAt },
      excludeConnectionId: talk.conn.id,
    });
    if (!this.config.PTT_RECORD) return;
    const record = { roomId: talk.roomId, talkId: talk.talkId, userId: talk.conn.userId, startedAt: talk.startedAt, endedAt, reason, packets: talk.packets.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength).toString('base64')) };
    talk.packets = [];
    this.bus
      .request('media', 'ptt.record', talk.conn.caller(), record)
      .then((r) => this.logger.debug({ roomId: talk.roomId, talkId: talk.talkId, messageId: r.messageId }, 'talk recorded'))
      .catch((err: Error) => this.logger.warn({ err: err.message, roomId: talk.roomId, talkId: talk.talkId }, 'talk not recorded'));
  }
}

/** Whether a frame's top-level `type` is `ptt.audio`, without decoding it. */
/** The needle as bytes once: `includes` with a string converts it on every frame. */
const AUDIO_TYPE = Buffer.from('ptt.audio');

function isAudioFrame(raw: Buffer, msgpack: boolean): boolean {
  // Cheap pre-filter before the key walk: the type string must appear in the bytes.
  return raw.includes(AUDIO_TYPE) && peekType(raw, msgpack) === 'ptt.audio';
}
