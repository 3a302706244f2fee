import { ArgumentsHost, Catch, HttpException, type ExceptionFilter } from '@nestjs/common';
import { ProtocolError, type ErrorCode } from '@switchboard/protocol';
import type { Response } from 'express';

const HTTP_STATUS: Record<ErrorCode, number> = {
  bad_request: 400,
  too_large: 413,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  rate_limited: 429,
  room_full: 409,
  floor_busy: 409,
  unavailable: 503,
  internal: 500,
};

export interface ErrorReply {
  status: number;
  code: string;
  message: string;
}

/** Any thrown value as the HTTP status and typed error the admin API answers with. */
export function toErrorReply(err: unknown): ErrorReply {
  if (err instanceof ProtocolError) return { status: HTTP_STATUS[err.code], code: err.code, message: err.message };
  if (err instanceof HttpException) {
    const status = err.getStatus();
    const body = err.getResponse() as { code?: string; message?: string | string[] };
    const code = body?.code ?? (status === 401 ? 'unauthorized' : status === 403 ? 'forbidden' : status === 404 ? 'not_found' : status === 413 ? 'too_large' : status < 500 ? 'bad_request' : 'internal');
    return { status, code, message: Array.isArray(body?.message) ? body.message.join('; ') : (body?.message ?? err.message) };
  }
  return { status: 500, code: 'internal', message: 'internal error' };
}

/** Admin REST errors carry the same typed codes as the WebSocket protocol: {error:{code,message}}. */
@Catch()
export class ProtocolErrorFilter implements ExceptionFilter {
  catch(err: unknown, host: ArgumentsHost) {
    const { status, code, message } = toErrorReply(err);
    return host.switchToHttp().getResponse<Response>().status(status).json({ error: { code, message } });
  }
}
