import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { runInNamespace } from '@switchboard/testing/browser';
import { ROOT } from '@switchboard/testing/infra';

/**
 * The demo app, the admin console and the demo's SFU call in a real browser
 * (test/browser/demo.mjs): one stack and one headless Chromium in a fresh network namespace with
 * only `lo`; first three pages on two gateway replicas in an SFU call through the real LiveKit,
 * then two pages on the two replicas through the app. The pages ask for a small camera (the
 * demo's `?camera=`); two files with a stack each cost twice the start-ups (issue 12, ADR 0086).
 * Screenshots land in .run/screenshots on every run, failed or not.
 */
describe('demo app, admin console and SFU call in headless Chromium', () => {
  const screenshots = join(ROOT, '.run/screenshots');
  const livekit = inject('livekitBinary');
  let run: Awaited<ReturnType<typeof runInNamespace>>;
  beforeAll(async () => {
    for (const built of ['apps/demo/dist/web/index.html', 'apps/demo/dist/web/admin/index.html', 'apps/demo/dist/server/main.js']) {
      expect(existsSync(join(ROOT, built)), `${built} missing: run npm run build`).toBe(true);
    }
    rmSync(screenshots, { recursive: true, force: true }); // this run's pictures only
    run = await runInNamespace('test/browser/demo.mjs', [], { SCREENSHOT_DIR: screenshots, ...(livekit ? { LIVEKIT_BINARY: livekit } : {}) });
    // Generous: eleven processes and three Chromium pages encoding and decoding video on a shared 2-core box, then the app's steps.
  }, 600_000);

  it('create/join, chat both ways, typing/reaction/edit/receipt/push-to-talk, presence dots, a P2P call, no gap after a replica is SIGKILLed, an admin kick shows', () => {
    const { code, result } = run;
    const { app } = result;
    expect(app, `${result.error ?? app?.error}`).toMatchObject({ ok: true, replicas: ['gw1', 'gw2'], presenceSeen: ['online', 'busy'] });
    expect(app.steps).toEqual(expect.arrayContaining(['typing, reaction, edit, read receipt, push-to-talk', 'paired by code', 'p2p call hung up', 'admin kick shown', 'join approved']));
    // Hold to talk: bob's fake microphone, Opus-encoded by the SDK (WebCodecs), decoded on alice's page.
    expect(app.pttFramesDecoded).toBeGreaterThanOrEqual(25);
    expect(app.call.connectionState).toEqual(['connected', 'connected']);
    expect(app.call.inboundBytes[0]).toBeGreaterThan(0);
    expect(app.call.inboundBytes[1]).toBeGreaterThan(0);
    expect(app.call.framesDecoded).toBeGreaterThan(0);
    // Both cameras at the size the pages asked for (`?camera=160x120@10`); after the hang-up no video is left.
    expect(app.call.localVideo).toEqual(['160x120', '160x120']);
    expect(app.call.videosAfterHangUp).toBe(0);
    // Every message, once, in order: m4..m6 were sent while bob's replica was dead.
    expect(app.bobAfterKill).toEqual(['hello from alice!', 'hi from bob', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6']);
    expect(app.participantsInConsole).toBe(2);
    expect(app.bobBanner).toMatch(/removed \(kicked\)/);
    for (const shot of ['demo.png', 'admin.png']) expect(existsSync(join(screenshots, shot))).toBe(true);
    expect(code).toBe(result.ok ? 0 : 1);
  });

  it.skipIf(!livekit)("SFU call through the real LiveKit, three pages on two replicas: every page decodes the other two cameras; one leaves and the others see it go; a LiveKit-side drop ends a page's call", () => {
    const { code, result } = run;
    const { sfu } = result;
    expect(sfu, `${result.error ?? sfu?.error}\nsteps: ${sfu?.steps}`).toMatchObject({ ok: true, replicas: ['gw1', 'gw2', 'gw1'] });
    const { alice, bob, carol } = sfu.ids as Record<string, string>;
    // The pages joined LiveKit with the grants Switchboard minted: identity <userId>:<connectionId>.
    expect(sfu.localIdentities).toEqual([alice, bob, carol]);
    expect(alice).toMatch(/^alice:/);
    expect(sfu.livekitBefore).toEqual([alice, bob, carol].sort());
    // Each publishes the camera size its page asked for (`?camera=`).
    expect(sfu.localCameras).toEqual(['160x120', '160x120', '160x120']);
    // Each page decoded video from exactly the other two.
    const decodedFrom = (who: string) => sfu.decoded[who] as Record<string, number>;
    expect(Object.keys(decodedFrom('alice')).sort()).toEqual([bob, carol].sort());
    expect(Object.keys(decodedFrom('bob')).sort()).toEqual([alice, carol].sort());
    expect(Object.keys(decodedFrom('carol')).sort()).toEqual([alice, bob].sort());
    for (const who of ['alice', 'bob', 'carol']) for (const frames of Object.values(decodedFrom(who))) expect(frames).toBeGreaterThan(0);
    expect(sfu.tileUsers).toEqual({ alice: ['bob', 'carol'], bob: ['alice', 'carol'], carol: ['alice', 'bob'] });
    // Carol left: gone from LiveKit and from the others' calls; Switchboard reported it as a room event.
    expect(sfu.carolTilesAfter).toBe(0);
    expect(sfu.afterLeave).toEqual({ alice: [bob], bob: [alice], livekit: [alice, bob].sort() });
    expect(sfu.mediaEvents).toContainEqual({ type: 'media.participant_left', identity: carol });
    // LiveKit dropped bob: his page's SfuCall ended by itself.
    expect(sfu.bobNotice).toMatch(/SFU call ended \(disconnected\)/);
    expect(existsSync(join(screenshots, 'sfu.png'))).toBe(true);
    expect(code).toBe(result.ok ? 0 : 1);
  });
});
