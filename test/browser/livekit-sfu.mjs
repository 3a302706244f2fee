#!/usr/bin/env node
// Runs INSIDE a fresh network namespace that has only `lo` (see test/e2e/livekit-browser.spec.ts):
// private NATS and Redis, Postgres through the socket bridge, coturn, the REAL LiveKit server
// (binary from LIVEKIT_BINARY) with its webhook pointed at the media service, rooms, media and two
// gateway replicas. Two headless Chromium pages on different replicas get `media.token`, join the
// room's LiveKit session with livekit-client (its UMD bundle served to the page): Bob publishes a
// fake camera, Alice (the owner) receives it; then Alice's `room.mute` stops Bob's track in
// LiveKit and `room.kick` disconnects Bob's page from the SFU.
// Prints one JSON line with the outcome; exit code 0 only when every step held.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RoomServiceClient } from 'livekit-server-sdk';
import { chromium } from 'playwright-core';
import { startCoturn } from '../../scripts/lib/coturn.mjs';
import { freePort } from '../../scripts/lib/infra.mjs';
import { LIVEKIT_DEV_KEYS, startLivekit } from '../../scripts/lib/livekit.mjs';
import { CHROMIUM_ARGS, clientToken, namespaceInfra, processes, SB_CLIENT_JS, waitFor, waitReady } from './harness.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const SECRET = 'sfu-browser-secret-sfu-browser-secret';
const TURN_SECRET = 'sfu-browser-turn-secret-0123456789';
const { cleanups, start, finish } = processes();
const token = (sub) => clientToken(SECRET, sub);
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

async function main() {
  if (!process.env.LIVEKIT_BINARY) throw new Error('LIVEKIT_BINARY must come from the spec');
  const [roomsPort, mediaPort, gw1Port, gw2Port, pagePort, roomsGrpc] = await Promise.all(Array.from({ length: 6 }, freePort));
  const { common, databaseUrl, mediaDatabaseUrl } = await namespaceInfra({ start, cleanups, root, jwtSecret: SECRET });
  const turn = await startCoturn({ secret: TURN_SECRET });
  cleanups.push(() => turn.stop());
  const lk = await startLivekit({ binary: process.env.LIVEKIT_BINARY, webhookUrl: `http://127.0.0.1:${mediaPort}/livekit/webhook`, stunServers: [`127.0.0.1:${turn.port}`], emptyTimeoutS: 30, departureTimeoutS: 5 });
  cleanups.push(() => lk.stop());

  const procs = [
    start(process.execPath, [join(root, 'services/rooms/dist/main.js')], { ...common, HTTP_PORT: String(roomsPort), GRPC_PORT: String(roomsGrpc), DATABASE_URL: databaseUrl }),
    start(process.execPath, [join(root, 'services/media/dist/main.js')], {
      ...common,
      HTTP_PORT: String(mediaPort),
      GRPC_PORT: '0',
      DATABASE_URL: mediaDatabaseUrl,
      ROOMS_GRPC_URL: `127.0.0.1:${roomsGrpc}`,
      STUN_URLS: turn.stunUrl,
      TURN_URLS: turn.turnUrl,
      TURN_SECRET,
      LIVEKIT_URL: lk.url,
      LIVEKIT_API_KEY: LIVEKIT_DEV_KEYS.apiKey,
      LIVEKIT_API_SECRET: LIVEKIT_DEV_KEYS.apiSecret,
    }),
    start(process.execPath, [join(root, 'services/gateway/dist/main.js')], { ...common, HTTP_PORT: String(gw1Port), NODE_ID: 'gw1' }),
    start(process.execPath, [join(root, 'services/gateway/dist/main.js')], { ...common, HTTP_PORT: String(gw2Port), NODE_ID: 'gw2' }),
  ];
  await waitReady([roomsPort, mediaPort, gw1Port, gw2Port].map((port, i) => [procs[i], port]));

  const site = createServer((req, res) => {
    if (req.url === '/livekit-client.umd.js') return res.writeHead(200, { 'content-type': 'text/javascript' }).end(LIVEKIT_CLIENT);
    res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
  });
  await new Promise((r) => site.listen(pagePort, '127.0.0.1', () => r(undefined)));
  cleanups.push(() => new Promise((r) => site.close(r)));

  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
  cleanups.push(() => browser.close());
  const [alice, bob] = await Promise.all([browser.newPage(), browser.newPage()]);
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

await finish(main);
