/** A failed request or connection: `code` is a protocol error code or one of the SDK's own. */
export class ClientError extends Error {
  constructor(
    /** A protocol error code (`forbidden`, `conflict`…) or an SDK code: `timeout`, `closed`, `disconnected`, `http`, `outbox_full`, `replaced`. */
    readonly code: string,
    message: string,
    /** The server's error object (e.g. `rooms`, `reason`, `retryAfterMs`, `holder`). */
    readonly details: Record<string, unknown> = {},
  ) {
    super(`${code}: ${message}`);
    this.name = 'ClientError';
  }
}
