// The demo's SFU call (run by test/browser/browser-tests.mjs on its stack, see test/e2e/browser.spec.ts):
// three headless Chromium pages of the real demo — alice and carol on replica gw1, bob on gw2 —
// meet in an SFU room and press "Join SFU call" (the SDK's SfuCall: `media.token`, then
// livekit-client) against the REAL LiveKit server. Every page must show the other two's camera
// tiles with frames decoding; then carol presses "Leave call" and the other two pages see her go;
// then LiveKit drops bob and his page's call ends by itself.
// Screenshots go to `shots` (sfu.png on success, failure-sfu-<page>.png when a step fails).
import { join } from 'node:path';
import { RoomServiceClient } from 'livekit-server-sdk';
import { LIVEKIT_DEV_KEYS } from '../../scripts/lib/livekit.mjs';
import { DEMO_QUERY, demoPages, waitFor } from './harness.mjs';

/** Per remote LiveKit participant of the page's SFU call: its identity and the video frames decoded from it (inbound-rtp). */
const remoteVideo = (page) =>
  page.evaluate(async () => {
    const out = {};
    for (const p of window.demo.sfu?.room.remoteParticipants.values() ?? []) {
      let framesDecoded = 0;
      for (const pub of p.trackPublications.values()) {
        if (pub.kind !== 'video' || !pub.track?.receiver) continue;
        (await pub.track.receiver.getStats()).forEach((r) => r.type === 'inbound-rtp' && (framesDecoded += r.framesDecoded ?? 0));
      }
      out[p.identity] = framesDecoded;
    }
    return out;
  });

/** The remote tiles the page shows, as a user sees them: user, video size and playback position. */
const tiles = (page) =>
  page.$$eval('#sfu-videos figure[data-sfu-identity]:not([data-sfu-identity=""])', (figs) =>
    figs.map((f) => {
      const v = f.querySelector('video');
      return { identity: f.dataset.sfuIdentity, user: f.dataset.sfuUser, width: v?.videoWidth ?? 0, time: v?.currentTime ?? 0 };
    }),
  );

/**
 * The SFU part on a running stack: `browser`, the demo's `base` URL, LiveKit (`lk`: httpUrl) and the
 * screenshot directory. Resolves with the outcome (`ok: false` and the error when a step failed).
 */
export async function demoSfu({ browser, base, lk, shots }) {
  const steps = [];
  const ui = demoPages({ shots, steps, query: DEMO_QUERY, prefix: 'sfu-' });
  const { pages } = ui;
  const began = Date.now();
  /** A step done, with the seconds since the part's start (where a slow run spent its time). */
  const step = (name) => steps.push(`${name} (${Math.round((Date.now() - began) / 1000)} s)`);
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    return await ui.part(() => call({ ui, pages, context, base, lk, shots, steps, step }));
  } finally {
    // Its pages (and their cameras, encoders and LiveKit sessions) end with the part.
    await context.close().catch(() => undefined);
  }
}

async function call({ ui, pages, context, base, lk, shots, steps, step }) {
  const users = { alice: 0, bob: 1, carol: 0 };
  for (const name of Object.keys(users)) await ui.open(context, name);
  const { alice, bob, carol } = pages;
  for (const [name, server] of Object.entries(users)) await ui.login(pages[name], base, name[0].toUpperCase() + name.slice(1), server, 30_000);
  const replicas = await Promise.all(Object.keys(users).map((n) => pages[n].evaluate(() => window.demo.link.hello.server.node)));
  step('logged in on two replicas');

  // Alice creates an SFU room from the registry form; bob and carol find it in theirs and join.
  const roomId = await ui.createRoom(alice, 'SFU room', { kind: 'sfu' });
  for (const page of [bob, carol]) {
    await page.waitForSelector(`[data-room="${roomId}"] [data-testid=join]`, { timeout: 30_000 });
    await ui.joinRoom(page, roomId, 'SFU room');
  }
  step('joined the SFU room');

  // What Switchboard tells each page about the SFU session (LiveKit webhooks → media → room events).
  for (const page of [alice, bob, carol])
    await page.evaluate(() => {
      window.mediaEvents = [];
      window.demo.link.on('*', (data, e) => e.type.startsWith('media.') && window.mediaEvents.push({ type: e.type, identity: data.identity }));
    });

  // Everyone presses the demo's SFU button.
  for (const page of [alice, bob, carol]) await page.click('[data-testid=sfu-join]');
  for (const page of [alice, bob, carol]) await page.waitForSelector('[data-testid=sfu-leave]', { timeout: 45_000 });
  const identity = async (page) => page.evaluate(() => `${window.demo.me.userId}:${window.demo.link.connectionId}`);
  const ids = { alice: await identity(alice), bob: await identity(bob), carol: await identity(carol) };
  const localIdentities = await Promise.all([alice, bob, carol].map((p) => p.evaluate(() => window.demo.sfu.room.localParticipant.identity)));
  // The demo's `?camera=` option reached LiveKit's capture: the size each page publishes.
  const localCameras = await Promise.all(
    [alice, bob, carol].map((p) =>
      p.evaluate(() => {
        const s = window.demo.sfu.room.localParticipant.getTrackPublication('camera')?.track?.mediaStreamTrack.getSettings();
        return s ? `${s.width}x${s.height}` : 'none';
      }),
    ),
  );
  step('joined the SFU call');

  // Each page receives the other two's cameras through LiveKit, frames decoding, tiles playing.
  const others = (me) => Object.keys(ids).filter((n) => n !== me).map((n) => ids[n]).sort();
  for (const [name, page] of Object.entries({ alice, bob, carol })) {
    await waitFor(
      async () => {
        const v = await remoteVideo(page);
        return JSON.stringify(Object.keys(v).sort()) === JSON.stringify(others(name)) && Object.values(v).every((n) => n > 0);
      },
      `${name} decoding both other cameras`,
      90_000,
    ).catch(async (err) => {
      throw new Error(`${err.message}: ${JSON.stringify(await remoteVideo(page))}`);
    });
    const first = await waitFor(async () => (await tiles(page)).length === 2 && (await tiles(page)).every((t) => t.width > 0), `${name}'s two remote tiles showing video`, 30_000).then(() => tiles(page));
    // Playing, not a frozen first frame: every tile's playback position moves on.
    await waitFor(async () => (await tiles(page)).every((t) => t.time > first.find((f) => f.identity === t.identity).time), `${name}'s remote tiles playing`, 30_000);
  }
  const decoded = { alice: await remoteVideo(alice), bob: await remoteVideo(bob), carol: await remoteVideo(carol) };
  const tileUsers = { alice: (await tiles(alice)).map((t) => t.user).sort(), bob: (await tiles(bob)).map((t) => t.user).sort(), carol: (await tiles(carol)).map((t) => t.user).sort() };
  const svc = new RoomServiceClient(lk.httpUrl, LIVEKIT_DEV_KEYS.apiKey, LIVEKIT_DEV_KEYS.apiSecret, { failover: false });
  const inLivekit = async () => (await svc.listParticipants(roomId)).map((p) => p.identity).sort();
  const livekitBefore = await inLivekit();
  await alice.screenshot({ path: join(shots, 'sfu.png') });
  step('every page decodes the other two');

  // Carol leaves the call; alice and bob see her tile and her name go, and Switchboard says so.
  await carol.click('[data-testid=sfu-leave]');
  await carol.waitForSelector('[data-testid=sfu-join]', { timeout: 30_000 });
  const carolTilesAfter = (await tiles(carol)).length;
  for (const [name, page] of Object.entries({ alice, bob })) {
    await page.waitForSelector('#sfu-videos [data-sfu-user=carol]', { state: 'detached', timeout: 30_000 });
    await waitFor(async () => (await page.getAttribute('[data-testid=sfu-participants]', 'data-users')).split(',').sort().join() === (name === 'alice' ? 'bob' : 'alice'), `${name}'s call list without carol`, 30_000);
    await waitFor(() => page.evaluate((id) => window.mediaEvents.some((e) => e.type === 'media.participant_left' && e.identity === id), ids.carol), `media.participant_left for carol on ${name}'s page`, 30_000);
  }
  await waitFor(async () => JSON.stringify(await inLivekit()) === JSON.stringify([ids.alice, ids.bob].sort()), 'carol gone from LiveKit', 30_000);
  const afterLeave = { alice: Object.keys(await remoteVideo(alice)), bob: Object.keys(await remoteVideo(bob)), livekit: await inLivekit() };
  const mediaEvents = await alice.evaluate(() => window.mediaEvents);
  step('carol left, the others saw it');

  // LiveKit itself drops bob (as a server-side removal or a lost connection would): his page's
  // SfuCall ends by itself and offers to join again; alice sees his tile go.
  await svc.removeParticipant(roomId, ids.bob);
  await bob.waitForSelector('[data-testid=sfu-join]', { timeout: 30_000 });
  const bobNotice = await bob.locator('[data-testid=notice]', { hasText: 'SFU call ended' }).first().textContent({ timeout: 10_000 });
  await alice.waitForSelector('#sfu-videos [data-sfu-user=bob]', { state: 'detached', timeout: 30_000 });
  step('a LiveKit-side drop ends the page\'s call');

  return { ok: true, steps, replicas, roomId, ids, localIdentities, localCameras, decoded, tileUsers, livekitBefore, afterLeave, carolTilesAfter, mediaEvents, bobNotice };
}

