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
