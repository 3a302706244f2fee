import { jetstreamManager, RetentionPolicy, StorageType, DiscardPolicy, type StreamConfig } from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/transport-node';
import { ROOM_BUCKETS, roomBucket } from '@switchboard/protocol';

/** JetStream stream that keeps every room event for `session.resume` (the only one when not sharded). */
export const ROOM_EVENTS_STREAM = 'SB_ROOM_EVENTS';
/** Most room event streams (ROOM_EVENTS_STREAMS): the NATS permission table names each (nats-permissions.ts). */
export const MAX_ROOM_EVENT_STREAMS = 16;

/** JetStream stream that keeps the admin API's audit log (`sb.audit.<action>`). */
export const AUDIT_STREAM = 'SB_AUDIT';

export interface RoomStreamLimits {
  maxAgeSeconds: number;
  maxPerRoom: number;
  /** Messages kept in all (split evenly over the streams). */
  maxMessages: number;
  /** Total bytes kept (split evenly over the streams); the oldest events go first beyond it. */
  maxBytes: number;
  /** Largest single event kept; a larger one still reaches live subscribers but is not stored for resume. */
  maxMsgSize: number;
  /** How many streams share the room events (1..MAX_ROOM_EVENT_STREAMS; docs/decisions/0032). */
  streams?: number;
  /** Copies of each stream on a NATS cluster (1, 3 or 5; never more than the cluster's nodes). */
  replicas?: number;
}

/**
 * The room event streams for `count` shards: one stream `SB_ROOM_EVENTS` on `sb.evt.room.>` when
 * count is 1, else `SB_ROOM_EVENTS_<i>` on the subject buckets b with b % count === i.
 */
export function roomEventStreams(count: number): { name: string; subjects: string[] }[] {
  if (!Number.isInteger(count) || count < 1 || count > MAX_ROOM_EVENT_STREAMS) throw new RangeError(`room event streams must be 1..${MAX_ROOM_EVENT_STREAMS}, not ${count}`);
  if (count === 1) return [{ name: ROOM_EVENTS_STREAM, subjects: ['sb.evt.room.>'] }];
  return Array.from({ length: count }, (_, i) => ({
    name: `${ROOM_EVENTS_STREAM}_${i}`,
    subjects: Array.from({ length: ROOM_BUCKETS }, (_, b) => b)
      .filter((b) => b % count === i)
      .map((b) => `sb.evt.room.${b}.*`),
  }));
}

/** The stream that holds a room's events when there are `count` streams. */
export function roomEventStreamOf(roomId: string, count: number): string {
  return count === 1 ? ROOM_EVENTS_STREAM : `${ROOM_EVENTS_STREAM}_${roomBucket(roomId) % count}`;
}

/** Creates or updates the room event streams; safe to call from every replica at start-up. */
export async function ensureRoomEventStream(nc: NatsConnection, limits: RoomStreamLimits): Promise<void> {
  const streams = roomEventStreams(limits.streams ?? 1);
  for (const { name, subjects } of streams) {
    await ensureStream(nc, {
      name,
      subjects,
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      discard: DiscardPolicy.Old,
      max_age: nanos(limits.maxAgeSeconds * 1000),
      max_msgs_per_subject: limits.maxPerRoom,
      max_msgs: Math.ceil(limits.maxMessages / streams.length),
      max_bytes: Math.ceil(limits.maxBytes / streams.length),
      max_msg_size: limits.maxMsgSize,
      num_replicas: limits.replicas ?? 1,
    });
  }
}

/**
 * Creates or updates the audit stream (file storage, kept `maxAgeDays`, direct get on so
 * readers can fetch entries by sequence); safe to call from every gateway at start-up.
 */
export async function ensureAuditStream(nc: NatsConnection, limits: { maxAgeDays: number }): Promise<void> {
  await ensureStream(nc, {
    name: AUDIT_STREAM,
    subjects: ['sb.audit.>'],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    max_age: nanos(limits.maxAgeDays * 24 * 3600 * 1000),
    allow_direct: true,
    // num_replicas is left out: created with 1, and an operator's `--replicas 3` survives
    // restarts (update merges into the current config).
  });
}

async function ensureStream(nc: NatsConnection, config: Partial<StreamConfig> & { name: string }): Promise<void> {
  const jsm = await jetstreamManager(nc);
  // Replicas starting together can both see "not found" and race to add it: the loser
  // finds the stream on its second pass and updates it instead.
  for (let attempt = 0; ; attempt++) {
    try {
      await jsm.streams.info(config.name);
      await jsm.streams.update(config.name, config);
      return;
    } catch (err) {
      if (!/not found/i.test((err as Error).message)) throw err;
    }
    try {
      await jsm.streams.add(config);
      return;
    } catch (err) {
      if (attempt >= 2) throw err;
    }
  }
}
