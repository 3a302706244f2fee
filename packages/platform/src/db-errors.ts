/**
 * Whether a failure means "the database cannot be reached right now" (down, restarting,
 * refusing or dropping connections) rather than a bug or bad data. Such failures reach
 * clients as `unavailable` (retry later), never `internal`: an outage is not a defect, and
 * a client must know its write did not happen so it may retry with the same clientMsgId.
 *
 * Prisma wraps node-postgres errors (see @prisma/adapter-pg's error mapping): a
 * PrismaClientKnownRequestError with a P1xxx code and `meta.driverAdapterError.cause.kind`,
 * or the raw pg/socket error somewhere down the `cause` chain.
 */
const PRISMA_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2037']);
const ADAPTER_KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections']);
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH']);
/** SQLSTATE: class 08 connection exception; 57P01-57P03 shutdown / cannot connect now; 53300 too many connections. */
const SQLSTATE = /^(08\w{3}|57P0[1-3]|53300)$/;
const MESSAGES = /Connection terminated|Can't reach database server|server closed the connection|the database system is (shutting down|starting up)|timeout exceeded when trying to connect/i;

interface ErrorLike {
  code?: unknown;
  kind?: unknown;
  message?: unknown;
  cause?: unknown;
  meta?: { driverAdapterError?: unknown };
}

export function isDatabaseUnavailable(err: unknown): boolean {
  const seen = new Set<unknown>();
  const queue: unknown[] = [err];
  // Bounded walk: causes may nest (adapter error → its cause), never loop forever.
  while (queue.length && seen.size < 10) {
    const e = queue.shift() as ErrorLike | undefined;
    if (!e || typeof e !== 'object' || seen.has(e)) continue;
    seen.add(e);
    if (typeof e.code === 'string' && (PRISMA_CODES.has(e.code) || SOCKET_CODES.has(e.code) || SQLSTATE.test(e.code))) return true;
    if (typeof e.kind === 'string' && ADAPTER_KINDS.has(e.kind)) return true;
    if (typeof e.message === 'string' && MESSAGES.test(e.message)) return true;
    queue.push(e.cause, e.meta?.driverAdapterError);
  }
  return false;
}
