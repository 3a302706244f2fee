/** NATS subjects. Ids are validated to exclude `.`, `*`, `>` before they reach here. */
export const subjects = {
  command: (service: string, verb: string) => `sb.cmd.${service}.${verb}`,
  room: (roomId: string) => `sb.evt.room.${roomId}`,
  /**
   * Ephemeral events of a room (typing, broadcasts of rooms that do not opt into replay):
   * no seq, outside the SB_ROOM_EVENTS stream (which captures sb.evt.room.> only).
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
