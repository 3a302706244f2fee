import { jetstreamManager, RetentionPolicy, StorageType, DiscardPolicy, type StreamConfig } from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/transport-node';

/** JetStream stream that keeps every room event for `session.resume`. */
export const ROOM_EVENTS_STREAM = 'SB_ROOM_EVENTS';

export interface RoomStreamLimits {
  maxAgeSeconds: number;
  maxPerRoom: number;
  maxMessages: number;
}

/** Creates or updates the room event stream; safe to call from every replica at start-up. */
export async function ensureRoomEventStream(nc: NatsConnection, limits: RoomStreamLimits): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const config: Partial<StreamConfig> & { name: string } = {
    name: ROOM_EVENTS_STREAM,
    subjects: ['sb.evt.room.>'],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    max_age: nanos(limits.maxAgeSeconds * 1000),
    max_msgs_per_subject: limits.maxPerRoom,
    max_msgs: limits.maxMessages,
    num_replicas: 1,
  };
  try {
    await jsm.streams.info(ROOM_EVENTS_STREAM);
    await jsm.streams.update(ROOM_EVENTS_STREAM, config);
  } catch (err) {
    if (!/not found/i.test((err as Error).message)) throw err;
    await jsm.streams.add(config);
  }
}
