import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { extname, join, normalize, sep } from 'node:path';
import type { Logger } from '@switchboard/platform';
import { SignJWT } from 'jose';
import type { DemoConfig } from './config.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.map': 'application/json',
};
/** Largest `POST /dev/token` body; a display name needs far less. */
export const DEV_TOKEN_MAX_BODY = 1024;
/** Request headers passed to the admin API: the caller's own credentials, nothing of ours. */
const FORWARDED = ['x-api-key', 'authorization', 'content-type', 'content-length', 'accept', 'traceparent', 'x-request-id'];

/** A display name → a stable user id (lowercase letters, digits, `-`, `_`), or null. */
export function userIdOf(name: string): string | null {
  const id = name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 32);
  return id.length ? id : null;
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
};
const fail = (res: ServerResponse, status: number, code: string, message: string) => json(res, status, { error: { code, message } });

/**
 * The demo's own HTTP server: the built pages (Vite output), `/config.json` (which gateways to
 * use), the dev-only `POST /dev/token`, and `/admin/v1/*` forwarded to a gateway so the console
 * is same-origin. It holds no state but a per-minute token counter; the gateways stay as they are.
 */
export function createDemoServer(config: DemoConfig, staticDir: string, logger: Logger): Server {
  let window = { start: Date.now(), count: 0 };

  async function devToken(req: IncomingMessage, res: ServerResponse) {
    if (!config.devTokens) return fail(res, 404, 'not_found', 'dev tokens are off');
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > DEV_TOKEN_MAX_BODY) return fail(res, 413, 'too_large', `body over ${DEV_TOKEN_MAX_BODY} bytes`);
      chunks.push(chunk as Buffer);
    }
    let name: unknown;
    try {
      name = JSON.parse(Buffer.concat(chunks).toString('utf8'))?.name;
    } catch {
      return fail(res, 400, 'bad_request', 'body must be JSON {name}');
    }
    const display = typeof name === 'string' ? name.trim().slice(0, 40) : '';
    const userId = userIdOf(display);
    if (!userId) return fail(res, 400, 'bad_request', 'name must contain a letter or digit');
    if (Date.now() - window.start > 60_000) window = { start: Date.now(), count: 0 };
    if (++window.count > config.devTokens.perMinute) return fail(res, 429, 'rate_limited', 'too many dev tokens this minute');
    const expiresAt = Math.floor(Date.now() / 1000) + config.devTokens.ttlS;
    const token = await new SignJWT({ name: display })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(userId)
      .setIssuedAt()
      .setExpirationTime(expiresAt)
      .sign(new TextEncoder().encode(config.devTokens.secret));
    logger.info({ userId }, 'dev token minted');
    json(res, 200, { token, userId, name: display, expiresAt: expiresAt * 1000 });
  }

  function proxyAdmin(req: IncomingMessage, res: ServerResponse) {
    const target = new URL(req.url!, config.adminApiUrl);
    const headers: Record<string, string> = {};
    for (const h of FORWARDED) if (typeof req.headers[h] === 'string') headers[h] = req.headers[h] as string;
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const upstream = send(target, { method: req.method, headers, timeout: 15_000 }, (up) => {
      res.writeHead(up.statusCode ?? 502, { 'content-type': up.headers['content-type'] ?? 'application/json', 'cache-control': 'no-store' });
      up.pipe(res);
    });
    upstream.on('timeout', () => upstream.destroy(new Error('admin API timed out')));
    upstream.on('error', (err) => {
      logger.warn({ err, target: target.origin }, 'admin API unreachable');
      if (!res.headersSent) fail(res, 502, 'unavailable', 'admin API unreachable');
      else res.destroy();
    });
    req.pipe(upstream);
  }

  async function serveStatic(pathname: string, res: ServerResponse) {
    // /admin and /admin/ are the console; every other unknown path gets 404 (no SPA fallback).
    const rel = pathname === '/' ? 'index.html' : pathname === '/admin' || pathname === '/admin/' ? 'admin/index.html' : decodeURIComponent(pathname).slice(1);
    const file = normalize(join(staticDir, rel));
    if (!file.startsWith(staticDir + sep)) return fail(res, 404, 'not_found', 'no such file');
    const info = await stat(file).catch(() => null);
    if (!info?.isFile()) return fail(res, 404, 'not_found', 'no such file');
    res.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'content-length': info.size,
      // Vite fingerprints assets; pages are revalidated.
      'cache-control': rel.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
    createReadStream(file).pipe(res);
  }

  return createServer((req, res) => {
    const { pathname } = new URL(req.url ?? '/', 'http://demo');
    const route = async () => {
      if (pathname.startsWith('/admin/v1/')) return proxyAdmin(req, res);
      if (pathname === '/dev/token') return req.method === 'POST' ? devToken(req, res) : fail(res, 405, 'bad_request', 'POST only');
      if (req.method !== 'GET' && req.method !== 'HEAD') return fail(res, 405, 'bad_request', 'GET only');
      if (pathname === '/config.json') return json(res, 200, { servers: config.servers, devTokens: config.devTokens !== null });
      if (pathname === '/healthz' || pathname === '/readyz') return json(res, 200, { ok: true });
      return serveStatic(pathname, res);
    };
    route().catch((err) => {
      logger.error({ err, path: pathname }, 'demo request failed');
      if (!res.headersSent) fail(res, 500, 'internal', 'internal error');
      else res.destroy();
    });
  });
}
