import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@switchboard/platform';
import { jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { createDemoServer, DEV_TOKEN_MAX_BODY, userIdOf } from './demo-server.js';

const SECRET = 'demo-spec-secret-demo-spec-secret';
const logger = createLogger({ service: 'demo', level: 'silent', nodeId: 'spec', production: false });
const staticDir = mkdtempSync(join(tmpdir(), 'sb-demo-static-'));
mkdirSync(join(staticDir, 'admin'));
writeFileSync(join(staticDir, 'index.html'), '<title>demo</title>');
writeFileSync(join(staticDir, 'admin', 'index.html'), '<title>console</title>');
writeFileSync(join(tmpdir(), 'sb-demo-outside.txt'), 'secret');

const servers: Server[] = [];
async function listen(server: Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
const demo = (env: Record<string, string>) => listen(createDemoServer(loadConfig({ JWT_SECRET: SECRET, ...env }), staticDir, logger));
const mint = (base: string, body: string) => fetch(`${base}/dev/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  rmSync(staticDir, { recursive: true, force: true });
});

describe('dev token endpoint', () => {
  let base: string;
  beforeAll(async () => (base = await demo({ NODE_ENV: 'development', DEMO_DEV_TOKENS_PER_MIN: '3' })));

  it('mints a client JWT for a display name, signed with JWT_SECRET, subject derived from the name', async () => {
    const res = await mint(base, JSON.stringify({ name: '  Alice B. ' }));
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ userId: 'alice-b', name: 'Alice B.' });
    const { payload } = await jwtVerify(body.token, new TextEncoder().encode(SECRET));
    expect(payload).toMatchObject({ sub: 'alice-b', name: 'Alice B.' });
    expect(payload.exp! * 1000).toBe(body.expiresAt);
    expect((await (await fetch(`${base}/config.json`)).json()).devTokens).toBe(true);
  });

  it('refuses names without a letter or digit, non-JSON and oversized bodies, and more than the per-minute budget', async () => {
    expect((await mint(base, JSON.stringify({ name: ' !!! ' }))).status).toBe(400);
    expect((await mint(base, 'not json')).status).toBe(400);
    expect((await mint(base, JSON.stringify({ name: 'x'.repeat(DEV_TOKEN_MAX_BODY) }))).status).toBe(413);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await mint(base, JSON.stringify({ name: `u${i}` }))).status);
    // one token went to the first test: two more fit this minute's budget of 3
    expect(statuses).toEqual([200, 200, 429, 429]);
    expect((await fetch(`${base}/dev/token`)).status).toBe(405);
  });

  it('is off in production, even with DEMO_DEV_TOKENS=on and a JWT_SECRET', async () => {
    const prod = await demo({ NODE_ENV: 'production', DEMO_DEV_TOKENS: 'on' });
    const res = await mint(prod, JSON.stringify({ name: 'mallory' }));
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'not_found', message: 'dev tokens are off' } });
    expect((await (await fetch(`${prod}/config.json`)).json()).devTokens).toBe(false);
  });

  it('is off with DEMO_DEV_TOKENS=off', async () => {
    const off = await demo({ NODE_ENV: 'development', DEMO_DEV_TOKENS: 'off' });
    expect((await mint(off, JSON.stringify({ name: 'bob' }))).status).toBe(404);
  });

  it('maps display names to ids made of lowercase letters, digits, - and _ only', () => {
    expect(userIdOf('Zoë Smith')).toBe('zoe-smith');
    expect(userIdOf('../../etc')).toBe('etc');
    expect(userIdOf('   ')).toBeNull();
    expect(userIdOf('a'.repeat(80))).toHaveLength(32);
  });
});

describe('pages and the admin API pass-through', () => {
  it('serves the demo and the console, and nothing outside the static folder', async () => {
    const base = await demo({});
    expect(await (await fetch(`${base}/`)).text()).toContain('demo');
    expect(await (await fetch(`${base}/admin`)).text()).toContain('console');
    expect(await (await fetch(`${base}/admin/`)).text()).toContain('console');
    for (const path of ['/../sb-demo-outside.txt', '/%2e%2e/sb-demo-outside.txt', '/nope.js']) expect((await fetch(`${base}${path}`)).status).toBe(404);
  });

  it('forwards /admin/v1 with the caller’s own credentials and answers 502 when the API is down', async () => {
    const seen: Record<string, unknown>[] = [];
    const upstream = await listen(
      createServer((req, res) => {
        let body = '';
        req.on('data', (d) => (body += d));
        req.on('end', () => {
          seen.push({ method: req.method, url: req.url, key: req.headers['x-api-key'], cookie: req.headers.cookie, body });
          res.writeHead(201, { 'content-type': 'application/json' });
          res.end('{"ok":true}');
        });
      }),
    );
    const base = await demo({ ADMIN_API_URL: upstream });
    const res = await fetch(`${base}/admin/v1/rooms/r1/kick`, { method: 'POST', headers: { 'x-api-key': 'k1', cookie: 'c=1', 'content-type': 'application/json' }, body: '{"userId":"u"}' });
    expect(res.status).toBe(201);
    expect(seen).toEqual([{ method: 'POST', url: '/admin/v1/rooms/r1/kick', key: 'k1', cookie: undefined, body: '{"userId":"u"}' }]);
    const down = await demo({ ADMIN_API_URL: 'http://127.0.0.1:1' });
    expect((await fetch(`${down}/admin/v1/rooms`)).status).toBe(502);
  });
});
