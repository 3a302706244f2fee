#!/usr/bin/env node
// Runs INSIDE a fresh network namespace that has only `lo` (see test/e2e/webrtc-browser.spec.ts):
// private NATS and Redis on loopback, Postgres through a unix socket bridge, the rooms service and
// two gateway replicas, then two headless Chromium pages that call each other over WebRTC,
// signaling through Switchboard (page A on replica 1, page B on replica 2).
// With --relay, also runs coturn (TURN REST shared secret) and the media service, and both pages
// use only the TURN credentials from their `hello` (iceTransportPolicy "relay").
// Prints one JSON line with the outcome; exit code 0 only when media flowed.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SignJWT } from 'jose';
import { chromium } from 'playwright-core';
import { checkTcp as portOpen, dropDatabase, ensureDatabase, freePort } from '../../scripts/lib/infra.mjs';
import { applyMigrations } from '../../scripts/lib/migrate.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const SECRET = 'browser-test-secret-browser-test-secret';
const RELAY = process.argv.includes('--relay');
const TURN_SECRET = 'browser-turn-secret-browser-turn-secret';
const children = [];
const cleanups = [];

async function waitFor(check, what, ms = 20_000) {
  const end = Date.now() + ms;
  while (Date.now() < end) { if (await check().catch(() => false)) return; await new Promise((r) => setTimeout(r, 100)); }
  throw new Error(`timed out waiting for ${what}`);
}
function start(cmd, args, env = {}) {
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err = (err + d).slice(-4000)));
  child.lastError = () => err;
  children.push(child);
  return child;
}
const token = (sub) => new SignJWT({ name: sub }).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setExpirationTime('10m').sign(new TextEncoder().encode(SECRET));

// The page: connects with the browser-style `bearer.<jwt>` subprotocol and speaks the protocol.
const PAGE = `<!doctype html><meta charset="utf-8"><script>
window.sb = async (url, jwt) => {
  const ws = new WebSocket(url, ['switchboard.v1', 'bearer.' + jwt]);
  const pending = new Map(); const events = []; let next = 1; let onEvent = () => {};
  const hello = new Promise((res) => { ws.onmessage = (m) => { const f = JSON.parse(m.data);
    if (f.type === 'hello') return res(f.data);
    if (f.re && pending.has(f.re)) { const p = pending.get(f.re); pending.delete(f.re); return f.type === 'error' ? p.rej(new Error(f.error.code)) : p.res(f.data); }
    events.push(f); onEvent(f); }; });
  window.hello = await hello;
  window.request = (type, data) => new Promise((res, rej) => { const id = String(next++); pending.set(id, { res, rej }); ws.send(JSON.stringify({ id, type, data })); });
  window.events = events; window.setOnEvent = (fn) => (onEvent = fn);
  return window.hello;
};
window.call = async (role, peerConn, roomId, relay) => {
  const pc = new RTCPeerConnection(relay ? { iceServers: window.hello.iceServers, iceTransportPolicy: 'relay' } : { iceServers: [] }); window.pc = pc;
  const canvas = document.createElement('canvas'); canvas.width = 320; canvas.height = 240; const ctx = canvas.getContext('2d');
  setInterval(() => { ctx.fillStyle = '#' + Math.floor(Math.random() * 0xffffff).toString(16).padStart(6, '0'); ctx.fillRect(0, 0, 320, 240); }, 50);
  for (const t of canvas.captureStream(20).getTracks()) pc.addTrack(t);
  const send = (kind, payload) => window.request('signal', { to: peerConn, roomId, kind, payload });
  pc.onicecandidate = (e) => e.candidate && send('ice', e.candidate.toJSON());
  const queued = [];
  window.setOnEvent(async (f) => { if (f.type !== 'signal' || f.data.from !== peerConn) return;
    const { kind, payload } = f.data;
    if (kind === 'offer') { await pc.setRemoteDescription(payload); await pc.setLocalDescription(await pc.createAnswer()); await send('answer', pc.localDescription.toJSON()); for (const c of queued.splice(0)) await pc.addIceCandidate(c); }
    else if (kind === 'answer') { await pc.setRemoteDescription(payload); for (const c of queued.splice(0)) await pc.addIceCandidate(c); }
    else if (kind === 'ice') { if (pc.remoteDescription) await pc.addIceCandidate(payload); else queued.push(payload); } });
  if (role === 'caller') { await pc.setLocalDescription(await pc.createOffer()); await send('offer', pc.localDescription.toJSON()); }
};
window.inboundBytes = async () => { let b = 0; (await window.pc.getStats()).forEach((r) => { if (r.type === 'inbound-rtp' && r.kind === 'video') b += r.bytesReceived; }); return b; };
</script>`;

async function main() {
  const [natsPort, redisPort, roomsPort, gw1Port, gw2Port, pagePort, mediaPort, turnPort] = await Promise.all(Array.from({ length: 8 }, freePort));
  const jsDir = mkdtempSync(join(tmpdir(), 'sb-browser-js-'));
  cleanups.push(() => rmSync(jsDir, { recursive: true, force: true }));
  start('nats-server', ['-a', '127.0.0.1', '-p', String(natsPort), '-js', '-sd', jsDir]);
  start('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
  // Postgres is reached through a unix socket the spec bridges to it: the namespace has no route
  // to the host's 127.0.0.1 (postgresSocketBridge in scripts/lib/infra.mjs).
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

  const common = { NATS_URL: `nats://127.0.0.1:${natsPort}`, REDIS_URL: `redis://127.0.0.1:${redisPort}`, LOG_LEVEL: 'warn', HTTP_HOST: '127.0.0.1', JWT_SECRET: SECRET, GRPC_AUTH_SECRET: 'browser-grpc-secret-browser-grpc-secret' };
  const procs = [
    start(process.execPath, [join(root, 'services/rooms/dist/main.js')], { ...common, HTTP_PORT: String(roomsPort), GRPC_PORT: '0', DATABASE_URL: databaseUrl }),
    start(process.execPath, [join(root, 'services/gateway/dist/main.js')], { ...common, HTTP_PORT: String(gw1Port), NODE_ID: 'gw1' }),
    start(process.execPath, [join(root, 'services/gateway/dist/main.js')], { ...common, HTTP_PORT: String(gw2Port), NODE_ID: 'gw2' }),
  ];
  if (RELAY) {
    start('turnserver', ['-n', '--listening-ip=127.0.0.1', '--relay-ip=127.0.0.1', `--listening-port=${turnPort}`, '--min-port=49160', '--max-port=49200', '--use-auth-secret', `--static-auth-secret=${TURN_SECRET}`, '--realm=switchboard.test', '--allow-loopback-peers', '--no-tls', '--no-dtls', '--no-cli', '--simple-log', '--pidfile=/tmp/sb-turnserver.pid']);
    procs.push(start(process.execPath, [join(root, 'services/media/dist/main.js')], { ...common, HTTP_PORT: String(mediaPort), GRPC_PORT: '0', DATABASE_URL: mediaDatabaseUrl, TURN_URLS: `turn:127.0.0.1:${turnPort}?transport=udp`, TURN_SECRET }));
  }
  for (const [i, port] of [roomsPort, gw1Port, gw2Port, ...(RELAY ? [mediaPort] : [])].entries()) {
    await waitFor(async () => { if (procs[i].exitCode !== null) throw new Error(procs[i].lastError()); return (await fetch(`http://127.0.0.1:${port}/readyz`)).ok; }, `process on ${port}`);
  }

  const site = createServer((_req, res) => { res.setHeader('content-type', 'text/html'); res.end(PAGE); });
  await new Promise((r) => site.listen(pagePort, '127.0.0.1', r));
  cleanups.push(() => new Promise((r) => site.close(r)));

  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', '--allow-loopback-in-peer-connection', '--disable-background-networking', '--disable-features=WebRtcHideLocalIpsWithMdns', '--disable-component-update', '--no-first-run'],
  });
  cleanups.push(() => browser.close());
  const [a, b] = await Promise.all([browser.newPage(), browser.newPage()]);
  await Promise.all([a.goto(`http://127.0.0.1:${pagePort}/`), b.goto(`http://127.0.0.1:${pagePort}/`)]);
  if (RELAY) await waitFor(() => portOpen(turnPort), 'turnserver');
  const helloA = await a.evaluate(([u, t]) => window.sb(u, t), [`ws://127.0.0.1:${gw1Port}/ws`, await token('alice')]);
  const helloB = await b.evaluate(([u, t]) => window.sb(u, t), [`ws://127.0.0.1:${gw2Port}/ws`, await token('bob')]);
  const room = await a.evaluate(() => window.request('room.create', { name: 'browser call', kind: 'p2p', joinPolicy: 'open' }));
  await b.evaluate((roomId) => window.request('room.join', { roomId }), room.room.id);
  await b.evaluate(([peer, roomId, relay]) => window.call('callee', peer, roomId, relay), [helloA.connectionId, room.room.id, RELAY]);
  await a.evaluate(([peer, roomId, relay]) => window.call('caller', peer, roomId, relay), [helloB.connectionId, room.room.id, RELAY]);

  const state = async (p) => p.evaluate(() => window.pc.connectionState);
  await waitFor(async () => (await state(a)) === 'connected' && (await state(b)) === 'connected', 'both peers connected', 30_000);
  await waitFor(async () => (await a.evaluate(() => window.inboundBytes())) > 0 && (await b.evaluate(() => window.inboundBytes())) > 0, 'video bytes both ways', 20_000);
  const candidates = await a.evaluate(async () => { const out = []; (await window.pc.getStats()).forEach((r) => r.type === 'local-candidate' && out.push(r.address ?? r.ip)); return out; });
  const candidateTypes = await a.evaluate(async () => { const out = []; (await window.pc.getStats()).forEach((r) => r.type === 'local-candidate' && out.push(r.candidateType)); return out; });
  const signals = await b.evaluate(() => window.events.filter((f) => f.type === 'signal').map((f) => f.data.kind));
  return {
    ok: true,
    replicas: [helloA.server.node, helloB.server.node],
    connectionState: [await state(a), await state(b)],
    inboundBytes: [await a.evaluate(() => window.inboundBytes()), await b.evaluate(() => window.inboundBytes())],
    localCandidateAddresses: [...new Set(candidates)],
    localCandidateTypes: [...new Set(candidateTypes)],
    turnServersInHello: helloA.iceServers.filter((s) => s.username).length,
    signalKindsReceivedByCallee: [...new Set(signals)],
  };
}

let result;
try {
  result = await main();
} catch (err) {
  result = { ok: false, error: String(err?.stack ?? err) };
}
for (const fn of cleanups.reverse()) await Promise.resolve().then(fn).catch(() => undefined);
for (const c of children) c.kill('SIGTERM');
await Promise.all(children.map((c) => (c.exitCode !== null ? null : new Promise((r) => { const t = setTimeout(() => { c.kill('SIGKILL'); r(); }, 5000); c.once('exit', () => { clearTimeout(t); r(); }); }))));
console.log(JSON.stringify(result));
process.exit(result.ok ? 0 : 1);
