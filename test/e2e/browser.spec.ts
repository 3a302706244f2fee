import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { ensurePackage, runInNamespace } from '@switchboard/testing/browser';
import { ROOT } from '@switchboard/testing/infra';

/**
 * Every browser test on one stack and one headless Chromium (test/browser/browser-tests.mjs), in
 * a fresh network namespace with only `lo` up, so no ICE candidate can point anywhere but
 * loopback: WebRTC calls between two pages on two gateway replicas, livekit-client through the
 * real LiveKit, the demo's SFU call, then the demo app and admin console. Four files with a stack
 * and a Chromium each cost four start-ups; the pages ask for small cameras (issue 12, ADRs 0085,
 * 0086). If one part fails, the others still report their own outcome. Screenshots land in
 * .run/screenshots on every run, failed or not.
 */
const screenshots = join(ROOT, '.run/screenshots');
const livekit = inject('livekitBinary');
let run: Awaited<ReturnType<typeof runInNamespace>>;
beforeAll(async () => {
  ensurePackage('/usr/bin/turnserver', 'coturn');
  for (const built of ['apps/demo/dist/web/index.html', 'apps/demo/dist/web/admin/index.html', 'apps/demo/dist/server/main.js']) {
    expect(existsSync(join(ROOT, built)), `${built} missing: run npm run build`).toBe(true);
  }
  rmSync(screenshots, { recursive: true, force: true }); // this run's pictures only
  run = await runInNamespace('test/browser/browser-tests.mjs', [], { SCREENSHOT_DIR: screenshots, ...(livekit ? { LIVEKIT_BINARY: livekit } : {}) });
  // Generous: eleven processes and up to three Chromium pages encoding and decoding video on a shared 2-core box.
}, 900_000);

describe('WebRTC call between two browsers through two gateway replicas', () => {
  it('reaches connectionState connected with video bytes flowing both ways', () => {
    const { code, result } = run;
    const direct = result.webrtc?.direct;
    expect(direct, `${result.error ?? direct?.error}`).toMatchObject({ ok: true, connectionState: ['connected', 'connected'], replicas: ['gw1', 'gw2'] });
    expect(direct.inboundBytes[0]).toBeGreaterThan(0);
    expect(direct.inboundBytes[1]).toBeGreaterThan(0);
    expect(direct.signalKindsReceivedByCallee).toEqual(expect.arrayContaining(['offer', 'ice']));
    for (const address of direct.localCandidateAddresses) expect(address).toMatch(/^(127\.|::1$)/);
    expect(direct.localCandidateTypes).toContain('host');
    expect(code).toBe(result.ok ? 0 : 1);
  });

  it('connects through coturn with only the TURN credentials the media service put into hello', () => {
    const { code, result } = run;
    const relay = result.webrtc?.relay;
    expect(relay, `${result.error ?? relay?.error}`).toMatchObject({ ok: true, connectionState: ['connected', 'connected'], turnServersInHello: 1 });
    expect(relay.localCandidateTypes).toEqual(['relay']);
    expect(relay.inboundBytes[0]).toBeGreaterThan(0);
    expect(relay.inboundBytes[1]).toBeGreaterThan(0);
    expect(code).toBe(result.ok ? 0 : 1);
  });
});

describe.skipIf(!livekit)('SFU call through the real LiveKit between two browsers on two gateway replicas', () => {
  it("streams video through LiveKit; room.mute stops the publisher's track there; room.kick disconnects the page; webhooks come back as room events", () => {
    const { code, result } = run;
    const sfu = result.livekit;
    expect(sfu, `${result.error ?? sfu?.error}`).toMatchObject({ ok: true, replicas: ['gw1', 'gw2'] });
    expect(sfu.sfuUrl).toBe(sfu.livekitUrl);
    expect(sfu.sfuUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    expect(sfu.identities).toEqual([`alice:${sfu.connectionIds[0]}`, `bob:${sfu.connectionIds[1]}`]);
    expect(sfu.bytesReceived).toBeGreaterThan(0);
    expect(sfu.bobCamera).toBe('160x120'); // the small camera the page asked for (ADR 0086)
    expect(sfu.bobBeforeMute).toEqual({ tracks: 1, canPublish: true });
    expect(sfu.bobAfterMute).toEqual({ liveTracks: 0, canPublish: false });
    expect(sfu.mediaEventTypes).toContain('media.track_unpublished');
    expect(sfu.bobDisconnectReason).not.toBeNull();
    // webhooks seen by media, republished as room events in seq order
    expect(sfu.joinedIdentities).toEqual(expect.arrayContaining(sfu.identities));
    expect(sfu.mediaEventTypes).toContain('media.track_published');
    expect(sfu.leftIdentities).toContain(sfu.identities[1]);
    expect([...sfu.mediaEventSeqs].sort((a: number, b: number) => a - b)).toEqual(sfu.mediaEventSeqs);
    expect(sfu.webhooksPublished).toBeGreaterThanOrEqual(4);
    expect(sfu.iceServersInHello).toBeGreaterThan(0);
    expect(code).toBe(result.ok ? 0 : 1);
  });
});

describe('demo app, admin console and SFU call in headless Chromium', () => {
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
