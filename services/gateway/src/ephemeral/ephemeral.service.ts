import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { CONFIG, DueStore, LOGGER, NATS, RoomEventsPublisher, TYPING_DUE, typingMember, type Logger, type NatsConnection } from '@switchboard/platform';
import type { CommandData, EventData, Reply } from '@switchboard/protocol';
import type { GatewayConfig } from '../config.js';
import { eventData, type Connection, type DeliveredEvent, type RoomCursor } from '../connections/connection.js';
import { ConnectionRegistry } from '../connections/connection.registry.js';
import { AnswerHere, BeforeForward, OnEvent } from '../wiring/decorators.js';

/** NATS client statuses after which events may have been lost to this replica. */
const LOSSY_STATUS = new Set(['disconnect', 'reconnect', 'slowConsumer']);

/**
 * `room.broadcast` and `chat.typing` answered by the sender's replica (ADR 0062): rooms only
 * checked the connection's seat, and this replica knows its connections' seats from the join
 * replies and the room's own events (a kick, ban, leave, close or disconnect removes the
 * cursor as it is delivered, before the client can see it). So a seated connection's
 * broadcast goes straight to the room's live subject, as `signal` and push-to-talk audio do.
 * Rooms still answers whatever the replica cannot vouch for: no settled seat (rooms tells
 * `not_found` from `forbidden`), a room that keeps broadcasts for resume or whose flag is
 * unknown (seq and storage are rooms'), typing in a named channel (archived?), any seat of a
 * room whose events this replica may have missed, and one command per seat every
 * SEAT_RECHECK_MS, so a removal whose event never came (rooms died mid-kick) is trusted for a
 * bounded time only.
 */
@Injectable()
export class EphemeralService implements OnModuleInit {
  constructor(
    private readonly events: RoomEventsPublisher,
    private readonly due: DueStore,
    private readonly registry: ConnectionRegistry,
    @Inject(NATS) private readonly nc: NatsConnection,
    @Inject(CONFIG) private readonly config: GatewayConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    void this.watchNats();
  }

  /** A vouched seat's broadcast, published here before the router starts a span (ADR 0100); undefined: rooms' to answer. */
  @AnswerHere('room.broadcast')
  broadcastHere(data: CommandData<'room.broadcast'>, conn: Connection): Reply<'room.broadcast'> | undefined {
    if (this.vouchedSeat(conn, data.roomId)?.replayEphemeral !== false) return undefined;
    this.events.live(data.roomId, 'room.broadcast', { from: { userId: conn.userId, connectionId: conn.id }, data: data.data }, { excludeConnectionId: conn.id });
    return {};
  }

  @BeforeForward('room.broadcast')
  async broadcast(data: CommandData<'room.broadcast'>, conn: Connection, send: () => Promise<Reply<'room.broadcast'>>): Promise<Reply<'room.broadcast'>> {
    return this.broadcastHere(data, conn) ?? this.forward(conn, data.roomId, send);
  }

  @BeforeForward('chat.typing')
  async typing(data: CommandData<'chat.typing'>, conn: Connection, send: () => Promise<Reply<'chat.typing'>>): Promise<Reply<'chat.typing'>> {
    if (data.channelId !== undefined || !this.vouchedSeat(conn, data.roomId)) return this.forward(conn, data.roomId, send);
    // The same lapse timer rooms keeps (rooms sweeps it and announces `typing:false`).
    const member = typingMember(data.roomId, conn.userId);
    if (data.typing) await this.due.schedule(TYPING_DUE, member, Date.now() + this.config.TYPING_TTL_MS);
    else await this.due.cancel(TYPING_DUE, member);
    this.events.live(data.roomId, 'chat.typing', { userId: conn.userId, typing: data.typing });
    return {};
  }

  /** The updater learns the new flag from its reply at once; the room's other connections from `room.updated`. */
  @BeforeForward('room.update')
  async update(data: CommandData<'room.update'>, conn: Connection, send: () => Promise<Reply<'room.update'>>): Promise<Reply<'room.update'>> {
    const reply = await send();
    const cursor = conn.rooms.get(data.roomId);
    if (cursor) cursor.replayEphemeral = reply.room.replayEphemeral;
    return reply;
  }

  @OnEvent('room.updated')
  roomUpdated(conn: Connection, e: DeliveredEvent): void {
    const cursor = conn.rooms.get(e.roomId);
    if (cursor) cursor.replayEphemeral = (eventData(e) as EventData<'room.updated'>).room.replayEphemeral;
  }

  /** The cursor of a seat this replica can vouch for: joined (reply in), confirmed by rooms within SEAT_RECHECK_MS, and no event of the room possibly missed since. */
  private vouchedSeat(conn: Connection, roomId: string): RoomCursor | undefined {
    const cursor = conn.rooms.get(roomId);
    if (!cursor || cursor.lastSeq === null || cursor.missedEvents) return undefined;
    return Date.now() - (cursor.seatConfirmedAt ?? -Infinity) < this.config.SEAT_RECHECK_MS ? cursor : undefined;
  }

  /** Rooms answers; its success confirms the seat (the cursor read after the reply: a removal meanwhile dropped it). */
  private async forward<R>(conn: Connection, roomId: string, send: () => Promise<R>): Promise<R> {
    const sentAt = Date.now();
    const reply = await send();
    const cursor = conn.rooms.get(roomId);
    if (cursor) cursor.seatConfirmedAt = Math.max(cursor.seatConfirmedAt ?? 0, sentAt);
    return reply;
  }

  /** Core NATS drops what arrives while disconnected or beyond a slow subscription: a removal may be among it. */
  private async watchNats(): Promise<void> {
    for await (const s of this.nc.status()) {
      if (!LOSSY_STATUS.has(s.type)) continue;
      let seats = 0;
      for (const conn of this.registry.all()) {
        for (const cursor of conn.rooms.values()) {
          cursor.missedEvents = true;
          seats++;
        }
      }
      this.logger.warn({ nats: s.type, seats }, 'room events may have been missed: rooms authorizes these seats\' broadcasts and typing from now on');
    }
  }
}
