#!/usr/bin/env node
// Runs INSIDE a fresh network namespace that has only `lo` (see test/e2e/browser.spec.ts): one
// stack for every browser test — private NATS and Redis, Postgres through the socket bridge,
// coturn, rooms, presence, media (TURN credentials in `hello`), two gateway replicas and the demo
// server (apps/demo, built); with LIVEKIT_BINARY also the REAL LiveKit server (webhook to media).
// One Chromium then runs, each part on fresh pages: the WebRTC calls (webrtc-room-call.mjs), the
// livekit-client steps (livekit-sfu.mjs) and the demo's SFU call (demo-sfu.mjs), both only with
// LiveKit, and last the demo app and admin console (demo-app.mjs, which SIGKILLs gw2). They were
// four files with a stack and a Chromium each (issue 12, ADRs 0085 and 0086).
// Screenshots go to SCREENSHOT_DIR on every run (also when a step fails).
// Prints one JSON line `{ ok, webrtc, livekit?, sfu?, app }`; exit code 0 only when every part passed.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { bundleEntry } from '../../scripts/bundle.mjs';
import { freePort } from '../../scripts/lib/infra.mjs';
import { startCoturn } from '../../scripts/lib/coturn.mjs';
import { LIVEKIT_DEV_KEYS, startLivekit } from '../../scripts/lib/livekit.mjs';
import { demoApp } from './demo-app.mjs';
import { demoSfu } from './demo-sfu.mjs';
import { CHROMIUM_ARGS, namespaceInfra, processes, startDemoServer, waitReady } from './harness.mjs';
import { livekitSfu } from './livekit-sfu.mjs';
import { webrtcCalls } from './webrtc-room-call.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const SECRET = 'demo-browser-secret-demo-browser-secret';
const ADMIN_KEY = 'demo-browser-admin-key';
const TURN_SECRET = 'browser-turn-secret-browser-turn-secret';
const shots = process.env.SCREENSHOT_DIR ?? join(root, '.run/screenshots');
const withLivekit = Boolean(process.env.LIVEKIT_BINARY);
const { cleanups, start, finish } = processes();

async function main() {
  const [roomsHttp, roomsGrpc, presenceHttp, presenceGrpc, mediaHttp, gw1Port, gw2Port] = await Promise.all(Array.from({ length: 7 }, freePort));
  const { common, databaseUrl, mediaDatabaseUrl } = await namespaceInfra({ start, cleanups, root, jwtSecret: SECRET });
  const turn = await startCoturn({ secret: TURN_SECRET });
  cleanups.push(() => turn.stop());
  const lk = withLivekit ? await startLivekit({ binary: process.env.LIVEKIT_BINARY, webhookUrl: `http://127.0.0.1:${mediaHttp}/livekit/webhook`, stunServers: [`127.0.0.1:${turn.port}`], emptyTimeoutS: 30, departureTimeoutS: 5 }) : undefined;
  if (lk) cleanups.push(() => lk.stop());

  const rooms = start(process.execPath, [bundleEntry('rooms')], { ...common, HTTP_PORT: String(roomsHttp), GRPC_PORT: String(roomsGrpc), GRPC_HOST: '127.0.0.1', DATABASE_URL: databaseUrl });
  const presence = start(process.execPath, [bundleEntry('presence')], { ...common, HTTP_PORT: String(presenceHttp), GRPC_PORT: String(presenceGrpc), GRPC_HOST: '127.0.0.1' });
  const media = start(process.execPath, [bundleEntry('media')], {
    ...common,
    HTTP_PORT: String(mediaHttp),
    GRPC_PORT: '0',
    DATABASE_URL: mediaDatabaseUrl,
    ROOMS_GRPC_URL: `127.0.0.1:${roomsGrpc}`,
    STUN_URLS: turn.stunUrl,
    TURN_URLS: turn.turnUrl,
    TURN_SECRET,
    ...(lk ? { LIVEKIT_URL: lk.url, LIVEKIT_API_KEY: LIVEKIT_DEV_KEYS.apiKey, LIVEKIT_API_SECRET: LIVEKIT_DEV_KEYS.apiSecret } : {}),
  });
  const gateway = (port, node) =>
    start(process.execPath, [bundleEntry('gateway')], {
      ...common,
      HTTP_PORT: String(port),
      NODE_ID: node,
      ADMIN_API_KEYS: ADMIN_KEY,
      ROOMS_GRPC_URL: `127.0.0.1:${roomsGrpc}`,
      PRESENCE_GRPC_URL: `127.0.0.1:${presenceGrpc}`,
    });
  const gw1 = gateway(gw1Port, 'gw1');
  const gw2 = gateway(gw2Port, 'gw2');
  await waitReady([[rooms, roomsHttp], [presence, presenceHttp], [media, mediaHttp], [gw1, gw1Port], [gw2, gw2Port]]);
  const base = await startDemoServer({ start, root, common, gatewayPorts: [gw1Port, gw2Port] });

  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
  cleanups.push(() => browser.close());
  // The demo app last: the others need both replicas, and it kills gw2. A failed part still lets
  // the next run, so each test reports its own outcome.
  const gateways = { secret: SECRET, gw1Port, gw2Port };
  const webrtc = await webrtcCalls({ browser, ...gateways });
  const livekit = lk ? await livekitSfu({ browser, ...gateways, lk, mediaPort: mediaHttp }) : undefined;
  const sfu = lk ? await demoSfu({ browser, base, lk, shots }) : undefined;
  const app = await demoApp({ browser, base, gw2, adminKey: ADMIN_KEY, shots });
  const ok = webrtc.direct.ok && webrtc.relay.ok && (livekit?.ok ?? true) && (sfu?.ok ?? true) && app.ok;
  return { ok, webrtc, ...(livekit ? { livekit } : {}), ...(sfu ? { sfu } : {}), app };
}

await finish(main);
