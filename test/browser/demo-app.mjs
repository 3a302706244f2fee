// The demo app and the admin console (run by test/browser/browser-tests.mjs on its stack, see
// test/e2e/browser.spec.ts): headless Chromium drives the real demo pages, alice on replica
// gw1 and bob on gw2 — create and join a room, chat both ways, presence dots, push-to-talk audio
// (bob's fake microphone encoded to Opus, decoded on alice's page), a P2P video call (hung up once
// it has shown frames); bob's replica is SIGKILLed mid-chat and his history must have no gap after
// the page reconnects; the admin console kicks bob and his page shows it.
// Screenshots go to `shots` (demo.png and admin.png; failure-<page>.png when a step fails).
import { join } from 'node:path';
import { DEMO_QUERY, demoPages, waitFor } from './harness.mjs';

const texts = (page) => page.$$eval('[data-testid=messages] [data-testid=message-text]', (els) => els.map((e) => e.textContent));
const hasText = async (page, text) => (await texts(page)).includes(text);
async function send(page, text) {
  await page.fill('[data-testid=chat-input]', text);
  await page.click('[data-testid=send]');
}

/**
 * The demo-app part on a running stack: `browser`, the demo's `base` URL, gw2 (the process this
 * part SIGKILLs), the admin API key and the screenshot directory. Resolves with the outcome
 * (`ok: false` and the error when a step failed).
 */
export async function demoApp({ browser, base, gw2, adminKey, shots }) {
  const steps = [];
  const ui = demoPages({ shots, steps, query: DEMO_QUERY });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  try {
    return await ui.part(() => app({ ui, context, base, gw2, adminKey, shots, steps }));
  } finally {
    await context.close().catch(() => undefined);
  }
}

async function app({ ui, context, base, gw2, adminKey: ADMIN_KEY, shots, steps }) {
  const step = (name) => steps.push(name);
  // What each page's peer connections did, for the failure message of the call step.
  await context.addInitScript(() => {
    const trail = (window.rtcTrail = []);
    const Native = window.RTCPeerConnection;
    window.RTCPeerConnection = class extends Native {
      constructor(...args) {
        super(...args);
        trail.push(`pc ${Date.now() % 100000}`);
        this.addEventListener('track', (e) => trail.push(`track ${e.track.kind} ${Date.now() % 100000}`));
        this.addEventListener('signalingstatechange', () => trail.push(`sig ${this.signalingState} ${Date.now() % 100000}`));
      }
    };
    new MutationObserver((records) => {
      for (const r of records) for (const n of r.removedNodes) if (n.nodeName === 'VIDEO' || (n instanceof Element && n.querySelector('video'))) trail.push(`video removed ${Date.now() % 100000}`);
    }).observe(document, { childList: true, subtree: true });
  });
  const [alice, bob] = await Promise.all([ui.open(context, 'alice'), ui.open(context, 'bob')]);
  await ui.login(alice, base, 'Alice', 0);
  await ui.login(bob, base, 'Bob', 1);
  const replicas = [await alice.evaluate(() => window.demo.link.hello.server.node), await bob.evaluate(() => window.demo.link.hello.server.node)];
  step('logged in on two replicas');

  // Alice creates a room from the registry form; Bob finds it in his list and joins.
  const roomId = await ui.createRoom(alice, 'Demo room');
  await waitFor(async () => {
    await bob.click('#registry h2 button');
    return (await bob.$(`[data-room="${roomId}"] [data-testid=join]`)) !== null;
  }, 'the room in bob’s registry');
  await ui.joinRoom(bob, roomId, 'Demo room');
  step('created and joined');

  // Presence dots: bob shows online to alice, then busy when he says so.
  await alice.waitForSelector('[data-testid=presence-bob][data-status=online]', { timeout: 20_000 });
  await bob.selectOption('[data-testid=status]', 'busy');
  await alice.waitForSelector('[data-testid=presence-bob][data-status=busy]', { timeout: 20_000 });
  const presenceSeen = ['online', 'busy'];
  step('presence dots');

  await send(alice, 'hello from alice');
  await waitFor(() => hasText(bob, 'hello from alice'), 'bob sees alice');
  await send(bob, 'hi from bob');
  await waitFor(() => hasText(alice, 'hi from bob'), 'alice sees bob');
  step('chat both ways');

  // Typing, reactions, edits, read receipts and push-to-talk, as a user clicks them.
  await alice.fill('[data-testid=chat-input]', 'typing…');
  await bob.waitForFunction(() => document.getElementById('typing')?.textContent?.includes('alice'), null, { timeout: 20_000 });
  await alice.fill('[data-testid=chat-input]', '');
  const line = (page, text) => page.locator('[data-testid=messages] li', { hasText: text });
  await line(bob, 'hello from alice').locator('button[title=react]').click();
  await line(alice, 'hello from alice').locator('.reaction', { hasText: '1' }).waitFor({ timeout: 20_000 });
  await line(bob, 'hello from alice').locator('.reaction.mine').waitFor({ timeout: 20_000 });
  alice.once('dialog', (d) => d.accept('hello from alice!'));
  await line(alice, 'hello from alice').locator('button', { hasText: 'edit' }).click();
  await waitFor(() => hasText(bob, 'hello from alice!'), 'bob sees the edit');
  await line(alice, 'hello from alice').locator('.read', { hasText: 'bob' }).waitFor({ timeout: 20_000 });
  // Hold to talk: bob's fake microphone goes out as Opus (WebCodecs AudioEncoder in the SDK's
  // PushToTalk) over his gateway; alice's page, on the other replica, decodes it (AudioDecoder).
  const ptt = bob.locator('[data-testid=ptt]');
  await ptt.hover();
  await bob.mouse.down();
  await alice.waitForFunction(() => document.querySelector('[data-testid=floor]')?.textContent?.includes('bob has the floor'), null, { timeout: 20_000 });
  const framesHeard = () => Number(/(\d+) audio frames decoded/.exec(document.querySelector('[data-testid=ptt-heard]')?.textContent ?? '')?.[1] ?? 0);
  // 25 frames of 20 ms: half a second of bob's voice heard and decoded on alice's page.
  // Generous: the fake microphone and the encoder start slowly on a loaded machine.
  await alice.waitForFunction(`(${framesHeard})() >= 25`, null, { timeout: 60_000 }).catch(async (err) => {
    const stats = async (page) => page.evaluate(() => window.pttStats?.()).catch((e) => String(e));
    throw new Error(`${err.message}: bob ${JSON.stringify(await stats(bob))}, alice ${JSON.stringify(await stats(alice))}`);
  });
  await bob.mouse.up();
  await alice.waitForFunction(() => document.querySelector('[data-testid=floor]')?.textContent === '', null, { timeout: 20_000 });
  const pttFramesDecoded = await alice.evaluate(framesHeard);
  step('typing, reaction, edit, read receipt, push-to-talk');

  // Pairing by code: alice shows her code, bob types it, alice accepts; both pages say so.
  await alice.click('#pairing button');
  const code = (await alice.textContent('[data-testid=pair-code]', { timeout: 20_000 })).trim();
  await bob.fill('[data-testid=pair-code-input]', code);
  await bob.click('#pairing form button');
  await alice.locator('#pairing .request button', { hasText: 'Accept' }).click({ timeout: 20_000 });
  await alice.locator('#pairing', { hasText: 'Paired.' }).waitFor({ timeout: 20_000 });
  await bob.locator('#pairing', { hasText: 'Paired.' }).waitFor({ timeout: 20_000 });
  step('paired by code');

  // P2P video call: alice calls bob from the participant list, bob accepts.
  await alice.click('[data-testid=call-bob]');
  await bob.waitForSelector('[data-testid=accept-call]', { timeout: 20_000 });
  await bob.click('[data-testid=accept-call]');
  const callState = (p) => p.evaluate(() => window.demo.call?.pc.connectionState);
  await waitFor(async () => (await callState(alice)) === 'connected' && (await callState(bob)) === 'connected', 'both peers connected', 40_000);
  const inbound = (p) => p.evaluate(() => window.demo.call.inboundVideoBytes());
  await waitFor(async () => (await inbound(alice)) > 0 && (await inbound(bob)) > 0, 'video frames both ways', 30_000);
  const decoded = () =>
    bob.evaluate(async () => {
      let n = 0;
      (await window.demo.call.pc.getStats()).forEach((r) => r.type === 'inbound-rtp' && r.kind === 'video' && (n += r.framesDecoded ?? 0));
      return n;
    });
  // Bytes arrive before the first frame is decoded (a keyframe, under load): wait for one.
  await waitFor(async () => (await decoded()) > 0, 'a video frame decoded on bob’s page', 30_000).catch(() => undefined);
  const framesDecoded = await decoded();
  const call = { connectionState: [await callState(alice), await callState(bob)], inboundBytes: [await inbound(alice), await inbound(bob)], framesDecoded };
  await waitFor(() => alice.evaluate(() => /** @type {HTMLVideoElement | null} */ (document.querySelector('video.remote'))?.videoWidth > 0), 'the remote video on alice’s page', 45_000).catch(async (err) => {
    const seen = await alice.evaluate(async () => {
      const v = /** @type {HTMLVideoElement | null} */ (document.querySelector('video.remote'));
      const rtp = [];
      (await window.demo.call.pc.getStats()).forEach((r) => r.type === 'inbound-rtp' && rtp.push(`${r.kind} ${r.framesDecoded ?? r.packetsReceived}`));
      return { trail: window.rtcTrail, videos: document.querySelectorAll('video').length, video: v && { paused: v.paused, readyState: v.readyState, tracks: /** @type {MediaStream | null} */ (v.srcObject)?.getTracks().map((t) => `${t.kind}:${t.readyState}:${t.muted}`) }, rtp };
    });
    throw new Error(`${err.message}: ${JSON.stringify({ ...seen, call })}`);
  });
  // The demo's `?camera=` option reached getUserMedia: the size each page's camera captures.
  const localVideo = await Promise.all(
    [alice, bob].map((p) =>
      p.evaluate(() => {
        const v = /** @type {HTMLVideoElement | null} */ (document.querySelector('video.local'));
        const s = /** @type {MediaStream | null} */ (v?.srcObject)?.getVideoTracks()[0]?.getSettings();
        return s ? `${s.width}x${s.height}` : 'none';
      }),
    ),
  );
  await alice.screenshot({ path: join(shots, 'demo.png') });
  step('p2p call connected');

  // Alice hangs up: both pages end the call (the SDK's `bye`), and no camera keeps encoding
  // through the rest of the part, which checks nothing of the call (issue 12, ADR 0086).
  await alice.locator('#call button', { hasText: 'Hang up' }).click();
  await waitFor(async () => (await alice.evaluate(() => !window.demo.call)) && (await bob.evaluate(() => !window.demo.call)), 'the call ended on both pages', 20_000);
  const videosAfterHangUp = await alice.evaluate(() => document.querySelectorAll('#videos video').length);
  step('p2p call hung up');

  // Mid-chat, bob's replica dies without a goodbye. Alice keeps talking; bob's page reconnects
  // to the other replica, resumes, and shows every message in order.
  const before = ['m1', 'm2', 'm3'];
  for (const m of before) await send(alice, m);
  await waitFor(() => hasText(bob, 'm3'), 'bob has m3');
  gw2.kill('SIGKILL');
  const after = ['m4', 'm5', 'm6'];
  for (const m of after) await send(alice, m);
  await waitFor(async () => (await bob.evaluate(() => window.demo.linkState === 'open' && window.demo.link.hello.server.node)) === 'gw1', 'bob reconnected to gw1', 40_000);
  const expected = ['hello from alice!', 'hi from bob', ...before, ...after];
  await waitFor(async () => JSON.stringify(await texts(bob)) === JSON.stringify(expected), 'bob’s history without a gap', 30_000).catch(async (err) => {
    throw new Error(`${err.message}: ${JSON.stringify(await texts(bob))}`);
  });
  const bobAfterKill = await texts(bob);
  await send(bob, 'back');
  await waitFor(() => hasText(alice, 'back'), 'alice sees bob after his reconnect');
  step('no gap after SIGKILL');

  // The admin console kicks bob; his page says so.
  const admin = await ui.open(context, 'admin');
  await admin.goto(`${base}/admin/`);
  await admin.fill('[data-testid=admin-key]', ADMIN_KEY);
  await admin.click('[data-testid=admin-login]');
  await admin.click(`[data-testid=admin-rooms] a[data-room="${roomId}"]`);
  await admin.waitForSelector('[data-testid=kick-bob]');
  const participantsInConsole = await admin.$$eval('[data-testid=admin-participants] tbody tr', (rows) => rows.length);
  await admin.screenshot({ path: join(shots, 'admin.png') });
  await admin.click('[data-testid=kick-bob]');
  await bob.waitForSelector('[data-testid=removed]', { timeout: 20_000 });
  const bobBanner = await bob.textContent('[data-testid=removed]');
  await alice.waitForSelector('[data-testid=presence-bob]', { state: 'detached', timeout: 20_000 });
  step('admin kick shown');

  // An approval room: bob asks to join from his registry, alice approves, bob is in.
  const approvalRoom = await ui.createRoom(alice, 'Approval room', { joinPolicy: 'approval' });
  // Live registry (rooms.subscribe): the new room shows up on bob's page without a refresh.
  await bob.waitForSelector(`[data-room="${approvalRoom}"] button:has-text("Ask to join")`, { timeout: 20_000 });
  await bob.click(`[data-room="${approvalRoom}"] button:has-text("Ask to join")`);
  await alice.locator('[data-testid=join-request] button', { hasText: 'Approve' }).click({ timeout: 20_000 });
  await bob.waitForSelector('[data-testid=room-title]:has-text("Approval room")', { timeout: 20_000 });
  await alice.waitForSelector('[data-testid=presence-bob]', { timeout: 20_000 });
  step('join approved');

  return { ok: true, steps, replicas, presenceSeen, call: { ...call, localVideo, videosAfterHangUp }, pttFramesDecoded, bobAfterKill, expected, participantsInConsole, bobBanner };
}

