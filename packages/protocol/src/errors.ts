export const ERROR_CODES = [
  'bad_request',
  'unauthorized',
  'forbidden',
  'not_found',
  'conflict',
  'rate_limited',
  'too_large',
  'room_full',
  'floor_busy',
  'unavailable',
  'internal',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

/** An error that is safe to show a client: its code and message cross every process boundary. */
export class ProtocolError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'ProtocolError';
  }
}

export const badRequest = (message: string) => new ProtocolError('bad_request', message);
export const forbidden = (message: string) => new ProtocolError('forbidden', message);
export const notFound = (message: string) => new ProtocolError('not_found', message);
export const conflict = (message: string, details?: Record<string, unknown>) => new ProtocolError('conflict', message, details);
export const unavailable = (message: string) => new ProtocolError('unavailable', message);
export const tooLarge = (message: string) => new ProtocolError('too_large', message);
export const rateLimited = (message: string, retryAfterMs?: number) => new ProtocolError('rate_limited', message, undefined, retryAfterMs);

/**
 * Why a WebSocket upgrade was refused with HTTP 401: no token (`missing`), one that does not
 * verify (`invalid`: bad signature, issuer, audience, claims or format) or one past its `exp`
 * (`expired`). Sent as the `Switchboard-Auth-Error` response header and in the JSON body
 * `{"error":{"code":"unauthorized","message","reason"}}` (browsers see neither; they get a
 * failed upgrade and should fetch a fresh token once before retrying).
 */
export const UPGRADE_AUTH_FAILURES = ['missing', 'invalid', 'expired'] as const;
export type UpgradeAuthFailure = (typeof UPGRADE_AUTH_FAILURES)[number];
export const UPGRADE_AUTH_HEADER = 'switchboard-auth-error';
