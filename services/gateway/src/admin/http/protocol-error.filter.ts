import { ArgumentsHost, Catch, HttpException, Inject, NotFoundException, type ExceptionFilter } from '@nestjs/common';
import { LOGGER, type Logger } from '@switchboard/platform';
import { ProtocolError, type ErrorCode } from '@switchboard/protocol';
import type { Request, Response } from 'express';
import { adminRoutes } from '../routes.js';
import { ADMIN_PREFIX } from './route.js';

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

/** `/rooms/{roomId}` → a matcher for the full request path. */
const ROUTE_MATCHERS = Object.values(adminRoutes).map((r) => ({
  method: r.method.toUpperCase(),
  template: `${ADMIN_PREFIX}${r.path}`,
  pattern: new RegExp(`^${ADMIN_PREFIX}${r.path.replace(/\{\w+\}/g, '[^/]+')}/?$`),
}));

/** The admin route template a request hit (`/admin/v1/rooms/{roomId}`), for the HTTP metrics' route label. */
export function adminRouteTemplate(method: string, path: string): string | undefined {
  return ROUTE_MATCHERS.find((m) => m.method === method && m.pattern.test(path))?.template;
}

/** Methods the admin API serves on `path` (empty when no route has that path). */
export function allowedMethods(path: string): string[] {
  return [...new Set(ROUTE_MATCHERS.filter((m) => m.pattern.test(path)).map((m) => m.method))];
}

/**
 * Every HTTP error of the gateway as `{error:{code,message}}` with the same typed codes as
 * the WebSocket protocol: thrown ProtocolErrors, body-parser failures (bad JSON → 400
 * `bad_request`, too large → 413 `too_large`), unknown routes (404 `not_found`, or 405 with
 * `Allow` when the path exists for other methods). Anything unexpected is logged with its
 * stack and answered 500 `internal` without details. Registered globally (router errors
 * never reach a controller's filters) and on the admin controllers.
 */
@Catch()
export class ProtocolErrorFilter implements ExceptionFilter {
  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  catch(err: unknown, host: ArgumentsHost) {
    if (host.getType() !== 'http') {
      this.logger.error({ err, context: host.getType() }, 'unhandled error outside HTTP');
      return;
    }
    const req = host.switchToHttp().getRequest<Request>();
    const res = host.switchToHttp().getResponse<Response>();
    if (err instanceof NotFoundException && req.path.startsWith(`${ADMIN_PREFIX}/`)) {
      const allow = allowedMethods(req.path);
      if (allow.length && !allow.includes(req.method)) {
        res.setHeader('Allow', allow.join(', '));
        return res.status(405).json({ error: { code: 'bad_request', message: `${req.method} is not allowed on this path (allowed: ${allow.join(', ')})` } });
      }
    }
    const reply = toErrorReply(err);
    if (reply.status >= 500 && !(err instanceof ProtocolError && err.code !== 'internal')) {
      this.logger.error({ err, method: req.method, path: req.path }, 'http request failed');
    }
    if (res.headersSent) return res.end();
    return res.status(reply.status).json({ error: { code: reply.code, message: reply.message } });
  }
}
