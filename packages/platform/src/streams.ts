import { jetstreamManager, RetentionPolicy, StorageType, DiscardPolicy, type StreamConfig } from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/transport-node';

/** JetStream stream that keeps every room event for `session.resume`. */
export const ROOM_EVENTS_STREAM = 'SB_ROOM_EVENTS';

/** JetStream stream that keeps the admin API's audit log (`sb.audit.<action>`). */
export const AUDIT_STREAM = 'SB_AUDIT';

export interface RoomStreamLimits {
  maxAgeSeconds: number;
  maxPerRoom: number;
  maxMessages: number;
  /** Total bytes kept; the oldest events go first beyond it. */
  maxBytes: number;
  /** Largest single event kept; a larger one still reaches live subscribers but is not stored for resume. */
  maxMsgSize: number;
}

/** Creates or updates the room event stream; safe to call from every replica at start-up. */
export async function ensureRoomEventStream(nc: NatsConnection, limits: RoomStreamLimits): Promise<void> {
  await ensureStream(nc, {
    name: ROOM_EVENTS_STREAM,
    subjects: ['sb.evt.room.>'],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    max_age: nanos(limits.maxAgeSeconds * 1000),
    max_msgs_per_subject: limits.maxPerRoom,
    max_msgs: limits.maxMessages,
    max_bytes: limits.maxBytes,
    max_msg_size: limits.maxMsgSize,
    num_replicas: 1,
  });
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
