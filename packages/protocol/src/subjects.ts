/** NATS subjects. Ids are validated to exclude `.`, `*`, `>` before they reach here. */
export const subjects = {
  command: (service: string, verb: string) => `sb.cmd.${service}.${verb}`,
  room: (roomId: string) => `sb.evt.room.${roomId}`,
  user: (userId: string) => `sb.evt.user.${userId}`,
  conn: (connectionId: string) => `sb.evt.conn.${connectionId}`,
  /** `presence.changed` of one user, subscribed only by replicas with watchers. */
  presence: (userId: string) => `sb.evt.presence.${userId}`,
  /** Cluster-wide notices, e.g. presence's `connection.gone` consumed by rooms and media. */
  system: (topic: string) => `sb.sys.${topic}`,
} as const;

/** Queue group shared by the replicas of one service. */
export const queueGroup = (service: string) => `sb.${service}`;
