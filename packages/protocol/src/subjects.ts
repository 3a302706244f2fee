/**
 * Room events carry a bucket of their room id in the subject (`sb.evt.room.<bucket>.<roomId>`), so
 * JetStream can split them over several streams by subject (docs/decisions/0032): the bucket count
 * is fixed, the number of streams (ROOM_EVENTS_STREAMS) is configuration.
 */
export const ROOM_BUCKETS = 64;

/** FNV-1a (32 bit) of the room id's UTF-16 code units, modulo ROOM_BUCKETS: stable across processes and languages. */
export function roomBucket(roomId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < roomId.length; i++) {
    h ^= roomId.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % ROOM_BUCKETS;
}

/** NATS subjects. Ids are validated to exclude `.`, `*`, `>` before they reach here. */
export const subjects = {
  command: (service: string, verb: string) => `sb.cmd.${service}.${verb}`,
  room: (roomId: string) => `sb.evt.room.${roomBucket(roomId)}.${roomId}`,
  /**
   * Ephemeral events of a room (typing, broadcasts of rooms that do not opt into replay):
   * no seq, outside the room event streams (which capture sb.evt.room.> only).
   */
  live: (roomId: string) => `sb.evt.live.${roomId}`,
  user: (userId: string) => `sb.evt.user.${userId}`,
  conn: (connectionId: string) => `sb.evt.conn.${connectionId}`,
  /** `presence.changed` of one user, subscribed only by replicas with watchers. */
  presence: (userId: string) => `sb.evt.presence.${userId}`,
  /** Cluster-wide notices, e.g. presence's `connection.gone` consumed by rooms and media. */
  system: (topic: string) => `sb.sys.${topic}`,
} as const;

/** Queue group shared by the replicas of one service. */
export const queueGroup = (service: string) => `sb.${service}`;
