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
  // Replicas starting together can both see "not found" and race to add it: the loser
  // finds the stream on its second pass and updates it instead.
  for (let attempt = 0; ; attempt++) {
    try {
      await jsm.streams.info(ROOM_EVENTS_STREAM);
      await jsm.streams.update(ROOM_EVENTS_STREAM, config);
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
