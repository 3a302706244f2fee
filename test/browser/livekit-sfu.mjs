// The SFU for real: two headless Chromium pages on two gateway replicas get `media.token` and join
// the room's session on the REAL LiveKit server with livekit-client (its UMD bundle served to the
// page); run by test/browser/browser-tests.mjs on its stack (LiveKit's webhook to the media
// service), see test/e2e/browser.spec.ts. Bob publishes a fake camera, Alice (the owner) receives
// it; then Alice's `room.mute` stops Bob's track in LiveKit and `room.kick` disconnects Bob's page.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RoomServiceClient } from 'livekit-server-sdk';
import { freePort } from '../../scripts/lib/infra.mjs';
import { LIVEKIT_DEV_KEYS } from '../../scripts/lib/livekit.mjs';
import { clientToken, SB_CLIENT_JS, waitFor } from './harness.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const LIVEKIT_CLIENT = readFileSync(join(root, 'node_modules/livekit-client/dist/livekit-client.umd.js'));

// The page: the Switchboard client plus a thin layer over livekit-client (global LivekitClient).
const PAGE = `<!doctype html><meta charset="utf-8"><script src="/livekit-client.umd.js"></script><script>
${SB_CLIENT_JS}
window.lk = { state: 'new', disconnectReason: null, remoteVideo: null };
window.joinSfu = async (roomId, publish) => {
  const grant = await window.request('media.token', { roomId });
  // A small camera (one simulcast layer below 480 px): the test needs frames to flow, not 720p (ADR 0086).
  const room = new LivekitClient.Room({ adaptiveStream: false, dynacast: false, videoCaptureDefaults: { resolution: { width: 160, height: 120, frameRate: 10 } } });
  window.lkRoom = room;
  room.on(LivekitClient.RoomEvent.TrackSubscribed, (track) => { if (track.kind === 'video') window.lk.remoteVideo = track; });
  room.on(LivekitClient.RoomEvent.Disconnected, (reason) => { window.lk.state = 'disconnected'; window.lk.disconnectReason = reason; });
  await room.connect(grant.url, grant.token, { autoSubscribe: true });
  window.lk.state = 'connected';
  if (publish) await room.localParticipant.setCameraEnabled(true);
  return { url: grant.url, identity: room.localParticipant.identity };
};
window.videoBytesReceived = async () => { const t = window.lk.remoteVideo; if (!t) return 0; let b = 0;
  (await t.receiver.getStats()).forEach((r) => { if (r.type === 'inbound-rtp') b += r.bytesReceived; }); return b; };
// Bob's camera no longer reaches the SFU: muted, or unpublished by LiveKit.
window.cameraStopped = () => { const p = window.lkRoom.localParticipant.getTrackPublication(LivekitClient.Track.Source.Camera); return !p || p.isMuted; };
</script>`;

/**
 * The SFU steps on a running stack: `browser`, the gateways' JWT `secret` and ports, LiveKit
 * (`lk`: url, httpUrl) and the media service's HTTP port (its metrics). Resolves with the outcome
 * (`ok: false` and the error when a step failed).
 */
export async function livekitSfu({ browser, secret, gw1Port, gw2Port, lk, mediaPort }) {
  const cleanups = [];
  try {
    return await sfu({ browser, secret, gw1Port, gw2Port, lk, mediaPort, cleanups });
  } catch (err) {
    return { ok: false, error: String(err?.stack ?? err) };
  } finally {
    for (const fn of cleanups.reverse()) await Promise.resolve().then(fn).catch(() => undefined);
  }
}

async function sfu({ browser, secret, gw1Port, gw2Port, lk, mediaPort, cleanups }) {
  const token = (sub) => clientToken(secret, sub);
  const pagePort = await freePort();
  const site = createServer((req, res) => {
    if (req.url === '/livekit-client.umd.js') return res.writeHead(200, { 'content-type': 'text/javascript' }).end(LIVEKIT_CLIENT);
    res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
  });
  await new Promise((r) => site.listen(pagePort, '127.0.0.1', () => r(undefined)));
  cleanups.push(() => new Promise((r) => site.close(r)));

  const [alice, bob] = await Promise.all([browser.newPage(), browser.newPage()]);
  cleanups.push(() => Promise.all([alice.close(), bob.close()]));
  await Promise.all([alice.goto(`http://127.0.0.1:${pagePort}/`), bob.goto(`http://127.0.0.1:${pagePort}/`)]);
  const helloA = await alice.evaluate(([u, t]) => window.sb(u, t), [`ws://127.0.0.1:${gw1Port}/ws`, await token('alice')]);
  const helloB = await bob.evaluate(([u, t]) => window.sb(u, t), [`ws://127.0.0.1:${gw2Port}/ws`, await token('bob')]);
  const { room } = await alice.evaluate(() => window.request('room.create', { name: 'sfu room', kind: 'sfu', joinPolicy: 'open' }));
  const roomId = room.id;
  await bob.evaluate((id) => window.request('room.join', { roomId: id }), roomId);

  const joinedA = await alice.evaluate((id) => window.joinSfu(id, false), roomId);
  const joinedB = await bob.evaluate((id) => window.joinSfu(id, true), roomId);
  const bobCamera = await bob.evaluate(() => { const s = window.lkRoom.localParticipant.getTrackPublication('camera')?.track?.mediaStreamTrack.getSettings(); return s ? `${s.width}x${s.height}` : 'none'; });
  await waitFor(async () => (await alice.evaluate(() => window.videoBytesReceived())) > 0, 'Alice receives Bob\'s video through LiveKit', 45_000);
  const bytesReceived = await alice.evaluate(() => window.videoBytesReceived());

  // LiveKit's webhooks reached media and came back as room events, in seq order, to Alice's socket.
  const roomEvents = () => alice.evaluate((id) => window.events.filter((f) => f.room === id || f.data?.roomId === id || f.type?.startsWith('media.')).map((f) => ({ type: f.type, seq: f.seq, data: f.data })), roomId);
  await waitFor(async () => (await roomEvents()).some((e) => e.type === 'media.track_published' && e.data.identity === joinedB.identity), 'media.track_published for Bob', 20_000);

  const svc = new RoomServiceClient(lk.httpUrl, LIVEKIT_DEV_KEYS.apiKey, LIVEKIT_DEV_KEYS.apiSecret, { failover: false });
  const bobInLivekit = async () => (await svc.listParticipants(roomId)).find((p) => p.identity === joinedB.identity);

  // room.mute from the owner: media mutes Bob's published track in LiveKit and takes publishing
  // away, upon which LiveKit unpublishes it (rtc/participant.go SetPermission).
  const bobBeforeMute = await bobInLivekit();
  await alice.evaluate(([id, userId]) => window.request('room.mute', { roomId: id, userId, muted: true }), [roomId, 'bob']);
  await waitFor(async () => { const p = await bobInLivekit(); return p && p.permission?.canPublish === false && p.tracks.every((t) => t.muted); }, 'Bob\'s track stopped in LiveKit', 20_000);
  const bobAfterMute = await bobInLivekit();
  await waitFor(async () => (await bob.evaluate(() => window.cameraStopped())) === true, 'Bob\'s page sees its camera stopped', 20_000);
  await waitFor(async () => (await roomEvents()).some((e) => e.type === 'media.track_unpublished' && e.data.identity === joinedB.identity), 'media.track_unpublished for Bob', 20_000);

  // room.kick: LiveKit drops Bob's page.
  await alice.evaluate(([id, userId]) => window.request('room.kick', { roomId: id, userId }), [roomId, 'bob']);
  await waitFor(async () => (await bob.evaluate(() => window.lk.state)) === 'disconnected', 'Bob\'s page disconnected from the SFU', 20_000);
  await waitFor(async () => !(await bobInLivekit()), 'Bob gone from LiveKit', 20_000);
  await waitFor(async () => (await roomEvents()).some((e) => e.type === 'media.participant_left' && e.data.identity === joinedB.identity), 'media.participant_left for Bob', 20_000);

  const events = await roomEvents();
  const mediaEvents = events.filter((e) => e.type.startsWith('media.'));
  const metrics = await (await fetch(`http://127.0.0.1:${mediaPort}/metrics`)).text();
  const webhooksPublished = [...metrics.matchAll(/^switchboard_livekit_webhooks_total\{[^}]*result="published"[^}]*\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
  return {
    ok: true,
    replicas: [helloA.server.node, helloB.server.node],
    sfuUrl: joinedA.url,
    livekitUrl: lk.url,
    identities: [joinedA.identity, joinedB.identity],
    connectionIds: [helloA.connectionId, helloB.connectionId],
    bytesReceived,
    bobCamera,
    bobBeforeMute: { tracks: bobBeforeMute.tracks.length, canPublish: bobBeforeMute.permission?.canPublish },
    bobAfterMute: { liveTracks: bobAfterMute.tracks.filter((t) => !t.muted).length, canPublish: bobAfterMute.permission?.canPublish },
    bobDisconnectReason: await bob.evaluate(() => window.lk.disconnectReason),
    mediaEventTypes: mediaEvents.map((e) => e.type),
    mediaEventSeqs: mediaEvents.map((e) => e.seq),
    joinedIdentities: mediaEvents.filter((e) => e.type === 'media.participant_joined').map((e) => e.data.identity),
    leftIdentities: mediaEvents.filter((e) => e.type === 'media.participant_left').map((e) => e.data.identity),
    webhooksPublished,
    iceServersInHello: helloA.iceServers.length,
  };
}

