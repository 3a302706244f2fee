// Shared by the browser scripts that run INSIDE a fresh network namespace (test/browser/*.mjs):
// child processes that die with the script, bounded waits, client JWTs, the in-page Switchboard
// client, and the one-JSON-line result protocol the specs read (@switchboard/testing, packages/testing/src/browser.ts).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { checkTcp as portOpen, dropDatabase, ensureDatabase, freePort } from '../../scripts/lib/infra.mjs';
import { applyMigrations } from '../../scripts/lib/migrate.mjs';

export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', '--allow-loopback-in-peer-connection', '--disable-background-networking', '--disable-features=WebRtcHideLocalIpsWithMdns', '--disable-component-update', '--no-first-run'];

export async function waitFor(check, what, ms = 20_000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Child processes and cleanups of one script run; `finish(main)` runs it, tears down, prints the JSON result and exits. */
export function processes() {
  const children = [];
  const cleanups = [];
  /** @returns {import('node:child_process').ChildProcess & { lastError: () => string }} */
  const start = (cmd, args, env = {}) => {
    const child = /** @type {import('node:child_process').ChildProcess & { lastError: () => string }} */ (spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] }));
    let err = '';
    child.stderr.on('data', (d) => (err = (err + d).slice(-4000)));
    child.lastError = () => err;
    children.push(child);
    return child;
  };
  const finish = async (main) => {
    let result;
    try {
      result = await main();
    } catch (err) {
      result = { ok: false, error: String(err?.stack ?? err) };
    }
    for (const fn of cleanups.reverse()) await Promise.resolve().then(fn).catch(() => undefined);
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode !== null ? null : new Promise((r) => { const t = setTimeout(() => { c.kill('SIGKILL'); r(undefined); }, 5000); c.once('exit', () => { clearTimeout(t); r(undefined); }); }))));
    console.log(JSON.stringify(result));
    process.exit(result.ok ? 0 : 1);
  };
  return { children, cleanups, start, finish };
}

/** A client JWT for the gateways (HS256 with their JWT_SECRET). */
export const clientToken = (secret, sub) => new SignJWT({ name: sub }).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setExpirationTime('10m').sign(new TextEncoder().encode(secret));

/** In-page Switchboard client: `window.sb(url, jwt)` connects (resolving with hello, its ICE servers final) with the browser-style `bearer.<jwt>` subprotocol; `window.request`, `window.events`. */
export const SB_CLIENT_JS = `
window.sb = async (url, jwt) => {
  const ws = new WebSocket(url, ['switchboard.v1', 'bearer.' + jwt]);
  const pending = new Map(); const events = []; let next = 1; let onEvent = () => {};
  // A hello with iceServersPending is completed by the session.ice that follows (ADR 0080).
  let pendingHello;
  const hello = new Promise((res) => { ws.onmessage = (m) => { const f = JSON.parse(m.data);
    if (f.type === 'hello') return f.data.iceServersPending ? (pendingHello = f.data) : res(f.data);
    if (f.type === 'session.ice' && pendingHello) { const { iceServersPending, ...h } = pendingHello; pendingHello = undefined; return res({ ...h, iceServers: f.data.iceServers }); }
    if (f.re && pending.has(f.re)) { const p = pending.get(f.re); pending.delete(f.re); return f.type === 'error' ? p.rej(new Error(f.error.code)) : p.res(f.data); }
    events.push(f); onEvent(f); }; });
  window.hello = await hello;
  window.request = (type, data) => new Promise((res, rej) => { const id = String(next++); pending.set(id, { res, rej }); ws.send(JSON.stringify({ id, type, data })); });
  window.events = events; window.setOnEvent = (fn) => (onEvent = fn);
  return window.hello;
};`;

/**
 * NATS (JetStream) and Redis on free loopback ports inside the namespace, and fresh, migrated
 * rooms and media databases on the Postgres outside, reached through the socket bridge the spec
 * set up (PG_SOCKET_DIR / PG_SERVER_URL, see postgresSocketBridge in scripts/lib/infra.mjs).
 * Returns the env every service needs and the database URLs.
 */
export async function namespaceInfra({ start, cleanups, root, jwtSecret }) {
  const [natsPort, redisPort] = await Promise.all([freePort(), freePort()]);
  const jsDir = mkdtempSync(join(tmpdir(), 'sb-browser-js-'));
  cleanups.push(() => rmSync(jsDir, { recursive: true, force: true }));
  start('nats-server', ['-a', '127.0.0.1', '-p', String(natsPort), '-js', '-sd', jsDir]);
  start('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
  const socketDir = process.env.PG_SOCKET_DIR;
  if (!socketDir || !process.env.PG_SERVER_URL) throw new Error('PG_SOCKET_DIR and PG_SERVER_URL must come from the spec (postgresSocketBridge)');
  const dbName = `switchboard_browser_${process.pid}`;
  const databaseOf = (name) => `${process.env.PG_SERVER_URL}/${name}?host=${encodeURIComponent(socketDir)}`;
  const databaseUrl = databaseOf(dbName);
  const mediaDatabaseUrl = databaseOf(`${dbName}_media`);
  for (const [url, service] of [[databaseUrl, 'rooms'], [mediaDatabaseUrl, 'media']]) {
    await ensureDatabase(url);
    cleanups.push(() => dropDatabase(url));
    await applyMigrations({ databaseUrl: url, migrationsDir: join(root, `services/${service}/prisma/migrations`) });
  }
  await waitFor(() => portOpen(natsPort), 'nats');
  await waitFor(() => portOpen(redisPort), 'redis');
  const common = {
    NATS_URL: `nats://127.0.0.1:${natsPort}`,
    REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    LOG_LEVEL: 'warn',
    HTTP_HOST: '127.0.0.1',
    JWT_SECRET: jwtSecret,
    // gRPC between the services in the namespace (ADR 0011): one random secret per run
    GRPC_AUTH_SECRET: randomBytes(24).toString('base64url'),
  };
  return { common, databaseUrl, mediaDatabaseUrl };
}

/** Waits until each [process, port] answers /readyz (throws with the process's stderr if it exits); bounded generously: parallel test files load a 2-core CI box. */
export async function waitReady(pairs) {
  for (const [proc, port] of pairs) {
    // waitFor swallows a failed check, so an exit is noted here and reported with its stderr
    let exited = false;
    await waitFor(async () => (exited = proc.exitCode !== null) || (await fetch(`http://127.0.0.1:${port}/readyz`)).ok, `process on ${port}`, 90_000);
    if (exited) throw new Error(`process on ${port} exited (${proc.exitCode}): ${proc.lastError()}`);
  }
}

/**
 * The camera the demo pages ask for (the demo's documented `?camera=` option): the tests only need
 * frames to flow, and every page encodes and decodes every camera in software; at the default
 * sizes (640×480 P2P, 360p with two simulcast layers in the SFU) video was most of the browser
 * files' CPU (issue 12, ADR 0086). Below 480 px livekit-client publishes one layer.
 */
export const DEMO_CAMERA = { width: 160, height: 120, frameRate: 10 };
export const DEMO_QUERY = `camera=${DEMO_CAMERA.width}x${DEMO_CAMERA.height}@${DEMO_CAMERA.frameRate}`;

/**
 * The demo pages' shared moves (test/browser/demo-*.mjs): pages by name, their console errors
 * and uncaught exceptions (bounded), sign-in (with `query` added to the page's URL), and a part
 * of a script that screenshots every page when a step fails (failure-<prefix><name>.png).
 */
export function demoPages({ shots, steps, query = '', prefix = '' }) {
  const pages = {};
  const pageLog = [];
  return {
    pages,
    /** Opens a page named `name` in `context`, logging its errors. */
    async open(context, name) {
      const page = (pages[name] = await context.newPage());
      page.on('console', (m) => ['error', 'warning'].includes(m.type()) && pageLog.length < 100 && pageLog.push(`${name}: ${m.text()}`));
      page.on('pageerror', (e) => pageLog.length < 100 && pageLog.push(`${name}: ${e.message}`));
      return page;
    },
    /** Signs in with a display name on gateway `server` (its index in the demo's list) and waits for the link. */
    async login(page, base, name, server, timeout = 20_000) {
      await page.goto(`${base}/?server=${server}${query ? `&${query}` : ''}`);
      await page.fill('#name', name);
      await page.click('[data-testid=login]');
      await page.waitForSelector('[data-testid=link].open', { timeout });
    },
    /** Creates a room from the registry form (`selects`: kind, joinPolicy, visibility) and waits until the page is in it; resolves with its id. */
    async createRoom(page, name, selects = {}) {
      await page.fill('[data-testid=room-name]', name);
      for (const [field, value] of Object.entries(selects)) await page.selectOption(`#registry select[name=${field}]`, value);
      await page.click('[data-testid=create-room]');
      await page.waitForSelector(`[data-testid=room-title]:has-text(${JSON.stringify(name)})`);
      return page.evaluate(() => window.demo.room.id);
    },
    /**
     * Clicks Join on `roomId` in the page's registry and waits until the page shows the room
     * titled `title`. As a user would, it clicks again (at most 3 times) when the join failed
     * with a transient error (`unavailable`, `timeout`: a loaded machine) or nothing happened
     * within 15 s (a click that landed while the registry was re-rendered); any other error
     * fails at once. Failures carry the page's notices.
     */
    async joinRoom(page, roomId, title) {
      const join = `[data-room="${roomId}"] [data-testid=join]`;
      let outcome = '';
      for (let attempt = 1; attempt <= 3; attempt++) {
        await page.evaluate(() => document.querySelectorAll('[data-testid=notice].error').forEach((n) => n.remove()));
        await page.click(join, { timeout: 30_000 });
        outcome = await page
          .waitForFunction(
            (t) => {
              if (document.querySelector('[data-testid=room-title]')?.textContent === t) return 'joined';
              return [...document.querySelectorAll('[data-testid=notice].error')].map((n) => n.textContent).find((n) => n?.startsWith('room.join:')) ?? false;
            },
            title,
            { timeout: 15_000 },
          )
          .then((handle) => handle.jsonValue(), () => 'no reply on the page within 15 s');
        if (outcome === 'joined') return;
        if (!/unavailable|timeout|no reply on the page/.test(outcome)) break;
      }
      const notices = await page.$$eval('[data-testid=notice]', (els) => els.map((e) => e.textContent));
      throw new Error(`joining ${roomId}: ${outcome}; notices: ${JSON.stringify(notices)}`);
    },
    /** main()'s result, or, when a step fails, `{ ok: false, steps, error }` with the pages' log, keeping what the pages looked like. */
    async part(main) {
      mkdirSync(shots, { recursive: true });
      try {
        return await main();
      } catch (err) {
        for (const [name, page] of Object.entries(pages)) await page.screenshot({ path: join(shots, `failure-${prefix}${name}.png`) }).catch(() => undefined);
        return { ok: false, steps, error: `${err?.stack ?? err}\npage log:\n${pageLog.join('\n')}` };
      }
    },
  };
}

/** The demo server (apps/demo, built) in front of the given gateways (the first also serves its /admin/v1); resolves with its base URL once /healthz answers. */
export async function startDemoServer({ start, root, common, gatewayPorts }) {
  const port = await freePort();
  const demo = start(process.execPath, [join(root, 'apps/demo/dist/server/main.js')], {
    ...common,
    DEMO_PORT: String(port),
    GATEWAY_URLS: gatewayPorts.map((p) => `ws://127.0.0.1:${p}/ws`).join(','),
    ADMIN_API_URL: `http://127.0.0.1:${gatewayPorts[0]}`,
    NODE_ENV: 'development',
  });
  const base = `http://127.0.0.1:${port}`;
  await waitFor(async () => demo.exitCode === null && (await fetch(`${base}/healthz`)).ok, 'the demo server', 60_000).catch((err) => {
    throw new Error(`${err.message}: ${demo.lastError()}`);
  });
  return base;
}
