import { Inject, Injectable } from '@nestjs/common';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { CONFIG, NATS, roomEventStreamOf, type BaseConfig, type NatsConnection } from '@switchboard/platform';
import { ProtocolError, subjects } from '@switchboard/protocol';
import type { DeliveredEvent } from '../connections/connection.js';
import { decodeDelivered } from '../routing/subscriptions.js';

/** What replaying an event costs against a resume's byte budget (RESUME_MAX_BYTES): its JSON, type and envelope. */
export const replayBytes = (e: DeliveredEvent): number => e.dataJson.length + e.type.length + 64;

/** Reads a room's retained events back from its JetStream stream (shard) for `session.resume`. */
@Injectable()
export class RoomHistoryStore {
  private js?: JetStreamClient;
  private jsm?: Promise<JetStreamManager>;

  constructor(
    @Inject(NATS) private readonly nc: NatsConnection,
    @Inject(CONFIG) private readonly config: Pick<BaseConfig, 'ROOM_EVENTS_STREAMS'>,
  ) {}

  /**
   * Events of the room with seq > afterSeq, in seq order; null when some of them are no
   * longer retained (the stream's age/count limits dropped them), so the client must refetch.
   */
  async since(roomId: string, afterSeq: number, currentSeq: number): Promise<DeliveredEvent[] | null> {
    if (currentSeq <= afterSeq) return [];
    const events = (await this.retained(roomId)).filter((e) => e.seq > afterSeq);
    return events.length === 0 || events[0].seq !== afterSeq + 1 ? null : events;
  }

  /** Every event the room's stream still holds, in seq order without duplicates (empty when none). */
  async retained(roomId: string): Promise<DeliveredEvent[]> {
    try {
      return await this.read(roomId);
    } catch (err) {
      // The JetStream API times out while a NATS node's loss is being repaired (meta or stream
      // leader election): an outage, answered `unavailable`, not an internal error.
      if (err instanceof ProtocolError) throw err;
      throw new ProtocolError('unavailable', 'room history is unavailable (NATS failover), retry later');
    }
  }

  private async read(roomId: string): Promise<DeliveredEvent[]> {
    const subject = subjects.room(roomId);
    // The room's shard (docs/decisions/0032): the same hash the stream subjects are cut by.
    const stream = roomEventStreamOf(roomId, this.config.ROOM_EVENTS_STREAMS);
    this.jsm ??= jetstreamManager(this.nc);
    const info = await (await this.jsm).streams.info(stream, { subjects_filter: subject });
    const stored = info.state.subjects?.[subject] ?? 0;
    if (stored === 0) return [];
    this.js ??= jetstream(this.nc);
    const consumer = await this.js.consumers.get(stream, { filter_subjects: subject });
    const events: DeliveredEvent[] = [];
    try {
      const batch = await consumer.fetch({ max_messages: stored, expires: 5000 });
      for await (const m of batch) {
        events.push(decodeDelivered(m.data));
        if (m.info.pending === 0) break;
      }
    } finally {
      await consumer.delete().catch(() => undefined);
    }
    events.sort((a, b) => a.seq - b.seq);
    // Publishers may race (seq order ≠ stream order); what matters is no gap after afterSeq.
    return events.filter((e, i) => i === 0 || e.seq !== events[i - 1].seq);
  }
}
