// Two headless Chromium pages call each other over WebRTC, signaling through Switchboard (page A
// on replica gw1, page B on gw2); run by test/browser/browser-tests.mjs on its stack, see
// test/e2e/browser.spec.ts. Two calls: `direct` with no ICE servers (host candidates on loopback),
// then `relay`, where both pages use only the TURN credentials from their `hello` (coturn with a
// TURN REST shared secret, handed out by the media service; iceTransportPolicy "relay").
import { createServer } from 'node:http';
import { freePort } from '../../scripts/lib/infra.mjs';
import { clientToken, SB_CLIENT_JS, waitFor } from './harness.mjs';

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

/**
 * Both calls on a running stack (`browser`, the gateways' JWT `secret` and ports). Resolves with
 * `{ direct, relay }`, each `{ ok: true, … }` or `{ ok: false, error }`: one failed call does not
 * hide the other's outcome.
 */
export async function webrtcCalls({ browser, secret, gw1Port, gw2Port }) {
  const token = (sub) => clientToken(secret, sub);
  const pagePort = await freePort();
  const site = createServer((_req, res) => { res.setHeader('content-type', 'text/html'); res.end(PAGE); });
  await new Promise((r) => site.listen(pagePort, '127.0.0.1', () => r(undefined)));
  try {
    /** One call between two fresh pages (fresh users and room), A on replica 1 and B on replica 2. */
    const call = async (relay) => {
      const [a, b] = await Promise.all([browser.newPage(), browser.newPage()]);
      try {
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
        const result = {
          replicas: [helloA.server.node, helloB.server.node],
          connectionState: [await state(a), await state(b)],
          inboundBytes: [await a.evaluate(() => window.inboundBytes()), await b.evaluate(() => window.inboundBytes())],
          localCandidateAddresses: [...new Set(candidates)],
          localCandidateTypes: [...new Set(candidateTypes)],
          turnServersInHello: helloA.iceServers.filter((s) => s.username).length,
          signalKindsReceivedByCallee: [...new Set(signals)],
        };
        return result;
      } finally {
        // Closed before the next call (also when this one failed), so its candidates and stats are its own.
        await Promise.all([a.close(), b.close()]);
      }
    };
    const outcome = (relay) => call(relay).then((r) => ({ ok: true, ...r }), (err) => ({ ok: false, error: String(err?.stack ?? err) }));
    return { direct: await outcome(false), relay: await outcome(true) };
  } finally {
    await new Promise((r) => site.close(r));
  }
}
