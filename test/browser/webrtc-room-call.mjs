#!/usr/bin/env node
// Runs INSIDE a fresh network namespace that has only `lo` (see test/e2e/webrtc-browser.spec.ts):
// private NATS and Redis on loopback, Postgres through a unix socket bridge, the rooms service and
// two gateway replicas, then two headless Chromium pages that call each other over WebRTC,
// signaling through Switchboard (page A on replica 1, page B on replica 2).
// Two calls on one stack and one browser (issue 12: a second namespace, stack and Chromium cost as
// much CPU as the call itself): `direct` with no ICE servers (host candidates on loopback), then
// `relay`, where both pages use only the TURN credentials from their `hello` (coturn with a TURN
// REST shared secret, handed out by the media service; iceTransportPolicy "relay").
// Prints one JSON line with both outcomes; exit code 0 only when media flowed in both.
import { createServer } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { checkTcp as portOpen, freePort } from '../../scripts/lib/infra.mjs';
import { CHROMIUM_ARGS, clientToken, namespaceInfra, processes, SB_CLIENT_JS, waitFor, waitReady } from './harness.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const SECRET = 'browser-test-secret-browser-test-secret';
const TURN_SECRET = 'browser-turn-secret-browser-turn-secret';
const { cleanups, start, finish } = processes();
const token = (sub) => clientToken(SECRET, sub);

// The page: connects with the browser-style `bearer.<jwt>` subprotocol and speaks the protocol.
const PAGE = `<!doctype html><meta charset="utf-8"><script>
${SB_CLIENT_JS}
window.call = async (role, peerConn, roomId, relay) => {
  const pc = new RTCPeerConnection(relay ? { iceServers: window.hello.iceServers, iceTransportPolicy: 'relay' } : { iceServers: [] }); window.pc = pc;
  // 160×120 at 10 fps: frames only need to flow; every pixel is encoded and decoded in software (ADR 0086).
  const canvas = document.createElement('canvas'); canvas.width = 160; canvas.height = 120; const ctx = canvas.getContext('2d');
  setInterval(() => { ctx.fillStyle = '#' + Math.floor(Math.random() * 0xffffff).toString(16).padStart(6, '0'); ctx.fillRect(0, 0, 160, 120); }, 100);
  for (const t of canvas.captureStream(10).getTracks()) pc.addTrack(t);
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
  const [roomsPort, gw1Port, gw2Port, pagePort, mediaPort, turnPort] = await Promise.all(Array.from({ length: 6 }, freePort));
  const { common, databaseUrl, mediaDatabaseUrl } = await namespaceInfra({ start, cleanups, root, jwtSecret: SECRET });
  start('turnserver', ['-n', '--listening-ip=127.0.0.1', '--relay-ip=127.0.0.1', `--listening-port=${turnPort}`, '--min-port=49160', '--max-port=49200', '--use-auth-secret', `--static-auth-secret=${TURN_SECRET}`, '--realm=switchboard.test', '--allow-loopback-peers', '--no-tls', '--no-dtls', '--no-cli', '--simple-log', '--pidfile=/tmp/sb-turnserver.pid']);
  const procs = [
    start(process.execPath, [join(root, 'services/rooms/dist/main.js')], { ...common, HTTP_PORT: String(roomsPort), GRPC_PORT: '0', DATABASE_URL: databaseUrl }),
    start(process.execPath, [join(root, 'services/gateway/dist/main.js')], { ...common, HTTP_PORT: String(gw1Port), NODE_ID: 'gw1' }),
    start(process.execPath, [join(root, 'services/gateway/dist/main.js')], { ...common, HTTP_PORT: String(gw2Port), NODE_ID: 'gw2' }),
    start(process.execPath, [join(root, 'services/media/dist/main.js')], { ...common, HTTP_PORT: String(mediaPort), GRPC_PORT: '0', DATABASE_URL: mediaDatabaseUrl, TURN_URLS: `turn:127.0.0.1:${turnPort}?transport=udp`, TURN_SECRET }),
  ];
  await waitReady([roomsPort, gw1Port, gw2Port, mediaPort].map((port, i) => [procs[i], port]));

  const site = createServer((_req, res) => { res.setHeader('content-type', 'text/html'); res.end(PAGE); });
  await new Promise((r) => site.listen(pagePort, '127.0.0.1', () => r(undefined)));
  cleanups.push(() => new Promise((r) => site.close(r)));

  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
  });
  cleanups.push(() => browser.close());
  await waitFor(() => portOpen(turnPort), 'turnserver');

  /** One call between two fresh pages (fresh users and room), A on replica 1 and B on replica 2. */
  const call = async (relay) => {
    const [a, b] = await Promise.all([browser.newPage(), browser.newPage()]);
    await Promise.all([a.goto(`http://127.0.0.1:${pagePort}/`), b.goto(`http://127.0.0.1:${pagePort}/`)]);
    const kind = relay ? 'relay' : 'direct';
    const helloA = await a.evaluate(([u, t]) => window.sb(u, t), [`ws://127.0.0.1:${gw1Port}/ws`, await token(`alice-${kind}`)]);
    const helloB = await b.evaluate(([u, t]) => window.sb(u, t), [`ws://127.0.0.1:${gw2Port}/ws`, await token(`bob-${kind}`)]);
    const room = await a.evaluate((name) => window.request('room.create', { name, kind: 'p2p', joinPolicy: 'open' }), `browser call (${kind})`);
    await b.evaluate((roomId) => window.request('room.join', { roomId }), room.room.id);
    await b.evaluate(([peer, roomId, r]) => window.call('callee', peer, roomId, r), [helloA.connectionId, room.room.id, relay]);
    await a.evaluate(([peer, roomId, r]) => window.call('caller', peer, roomId, r), [helloB.connectionId, room.room.id, relay]);

    const state = async (p) => p.evaluate(() => window.pc.connectionState);
    await waitFor(async () => (await state(a)) === 'connected' && (await state(b)) === 'connected', `both peers connected (${kind})`, 30_000);
    await waitFor(async () => (await a.evaluate(() => window.inboundBytes())) > 0 && (await b.evaluate(() => window.inboundBytes())) > 0, `video bytes both ways (${kind})`, 20_000);
    const candidates = await a.evaluate(async () => { const out = []; (await window.pc.getStats()).forEach((r) => r.type === 'local-candidate' && out.push(r.address ?? r.ip)); return out; });
    const candidateTypes = await a.evaluate(async () => { const out = []; (await window.pc.getStats()).forEach((r) => r.type === 'local-candidate' && out.push(r.candidateType)); return out; });
    const signals = await b.evaluate(() => window.events.filter((f) => f.type === 'signal').map((f) => f.data.kind));
    const outcome = {
      replicas: [helloA.server.node, helloB.server.node],
      connectionState: [await state(a), await state(b)],
      inboundBytes: [await a.evaluate(() => window.inboundBytes()), await b.evaluate(() => window.inboundBytes())],
      localCandidateAddresses: [...new Set(candidates)],
      localCandidateTypes: [...new Set(candidateTypes)],
      turnServersInHello: helloA.iceServers.filter((s) => s.username).length,
      signalKindsReceivedByCallee: [...new Set(signals)],
    };
    // Closed before the next call, so its candidates and stats are its own.
    await Promise.all([a.close(), b.close()]);
    return outcome;
  };
  const direct = await call(false);
  const relay = await call(true);
  return { ok: true, direct, relay };
}

await finish(main);
