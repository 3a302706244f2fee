import { Inject, Injectable, Optional } from '@nestjs/common';
import { subjects, type ConnectionEvent, type EventData, type LiveEvent, type RoomEvent, type UserEvent } from '@switchboard/protocol';
import { Redis } from 'ioredis';
import { CommandBus } from './nats.js';
import type { StreamAcks } from './stream-acks.js';

interface CoalescedEvent {
  type: string;
  data: unknown;
  opts: { excludeConnectionId?: string; onlyConnectionIds?: string[] };
  resolve(seq: number): void;
  reject(err: unknown): void;
}

/** DI token of the StreamAcks a service publishes its room events through (absent: core publish). */
export const ROOM_EVENT_ACKS = Symbol('ROOM_EVENT_ACKS');

/** The per-room sequence: one counter per room, shared by every service that publishes room events. */
/** In the room's hash slot `{room:<id>}`, next to its seats (docs/decisions/0031). */
export const seqKey = (roomId: string) => `sb:{room:${roomId}}:seq`;

/**
 * Publishes room events with a strictly increasing per-room `seq` taken from Redis.
 * Within one process, INCR replies arrive in order on one connection and the publish follows
 * synchronously, so events leave in seq order; across replicas (and services: rooms, media)
 * gateways reorder by seq. The JetStream stream SB_ROOM_EVENTS captures `sb.evt.room.>` for resume.
 * With `acks` (the rooms service, which owns the streams), `toRoom` resolves once the stream
 * holds the event, so whatever a command acknowledges is in the replay (docs/decisions/0048).
 */
@Injectable()
export class RoomEventsPublisher {
  constructor(
    private readonly bus: CommandBus,
    private readonly redis: Redis,
    @Optional() @Inject(ROOM_EVENT_ACKS) private readonly acks?: StreamAcks,
  ) {}

  async toRoom<E extends RoomEvent>(roomId: string, type: E, data: EventData<E>, opts: { excludeConnectionId?: string; onlyConnectionIds?: string[] } = {}): Promise<number> {
    return this.publishAt(roomId, await this.redis.incr(seqKey(roomId)), type, data, opts);
  }

  /**
   * `toRoom` for a hot event that comes in batches (chat.send's group commit, ADR 0084): the
   * calls of one microtask drain share one `INCRBY` per room, and each room's events are
   * published in call order as soon as its reply is in, so seq order is call order. Resolves
   * like `toRoom` (the event's seq, once its stream holds it). Only for callers whose events
   * have no call-order relation to scripts that take the room's seq themselves in the same
   * turn: the shared `INCRBY` leaves at the end of the drain, after such a script.
   */
  toRoomCoalesced<E extends RoomEvent>(roomId: string, type: E, data: EventData<E>, opts: { excludeConnectionId?: string; onlyConnectionIds?: string[] } = {}): Promise<number> {
    return new Promise((resolve, reject) => {
      let queued = this.coalesced.get(roomId);
      if (!queued) {
        if (this.coalesced.size === 0) queueMicrotask(this.flushCoalesced);
        this.coalesced.set(roomId, (queued = []));
      }
      queued.push({ type, data, opts, resolve, reject });
    });
  }

  private coalesced = new Map<string, CoalescedEvent[]>();

  private readonly flushCoalesced = (): void => {
    const rooms = this.coalesced;
    this.coalesced = new Map();
    for (const [roomId, events] of rooms) {
      // One command per room (ioredis sends a drain's commands in one write): n seqs at once.
      const taken = events.length === 1 ? this.redis.incr(seqKey(roomId)) : this.redis.incrby(seqKey(roomId), events.length);
      taken.then(
        (last) => {
          let seq = last - events.length + 1;
          // Published here, in seq order, before anything else can publish this room's next event.
          for (const e of events) {
            const at = seq++;
            this.publishAt(roomId, at, e.type as RoomEvent, e.data as never, e.opts).then(() => e.resolve(at), e.reject);
          }
        },
        (err: unknown) => {
          for (const e of events) e.reject(err);
        },
      );
    }
  };

  /**
   * Publishes a room event under a seq the caller took itself (INCR of `seqKey(roomId)` inside
   * a script that also writes the room's other keys, so one round trip instead of two: the join's
   * seat, ADR 0068; the resume's seat move, ADR 0070). The publish leaves before this awaits the
   * stream's ack, so call it as soon as the seq is known and the room's next event does not
   * overtake it; the promise resolves when the stream holds the event.
   */
  async publishAt<E extends RoomEvent>(roomId: string, seq: number, type: E, data: EventData<E>, opts: { excludeConnectionId?: string; onlyConnectionIds?: string[] } = {}): Promise<number> {
    const event = { type, roomId, seq, data, ...opts };
    if (this.acks) await this.bus.publishToStream(subjects.room(roomId), event, this.acks);
    else this.bus.publish(subjects.room(roomId), event);
    return seq;
  }

  /**
   * Ephemeral room event: no seq and not stored for resume (`sb.evt.live.<room>`); gateways
   * deliver it as it arrives, so it is not ordered against the room's seq events.
   */
  live<E extends LiveEvent>(roomId: string, type: E, data: EventData<E>, opts: { excludeConnectionId?: string } = {}): void {
    this.bus.publish(subjects.live(roomId), { type, roomId, data, ...opts });
  }

  /** Unordered, targeted event for one user wherever they are connected. */
  toUser<E extends UserEvent>(userId: string, type: E, data: EventData<E>, roomId?: string): void {
    this.bus.publish(subjects.user(userId), { type, roomId, data });
  }

  toConnection<E extends ConnectionEvent>(connectionId: string, type: E, data: EventData<E>, roomId?: string): void {
    this.bus.publish(subjects.conn(connectionId), { type, roomId, data });
  }

  async currentSeq(roomId: string): Promise<number> {
    return Number((await this.redis.get(seqKey(roomId))) ?? 0);
  }
}
