/** NATS subjects. Ids are validated to exclude `.`, `*`, `>` before they reach here. */
export const subjects = {
  command: (service: string, verb: string) => `sb.cmd.${service}.${verb}`,
  room: (roomId: string) => `sb.evt.room.${roomId}`,
  user: (userId: string) => `sb.evt.user.${userId}`,
  conn: (connectionId: string) => `sb.evt.conn.${connectionId}`,
  /** Cluster-wide notices, e.g. presence's `connection.gone` consumed by rooms and media. */
  system: (topic: string) => `sb.sys.${topic}`,
} as const;

/** Queue group shared by the replicas of one service. */
export const queueGroup = (service: string) => `sb.${service}`;
