import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { runInNamespace } from '@switchboard/testing/browser';
import { ROOT } from '@switchboard/testing/infra';

/**
 * The demo's SFU call in a real browser (test/browser/demo-sfu.mjs): three demo pages on two
 * gateway replicas press "Join SFU call" (the SDK's SfuCall: `media.token`, then livekit-client)
 * against the real LiveKit server, in a fresh network namespace with only `lo`. Screenshots land
 * in .run/screenshots-sfu on every run, failed or not.
 */
describe.skipIf(!inject('livekitBinary'))('demo SFU call through the real LiveKit: three pages on two replicas', () => {
  it('every page decodes the other two cameras through LiveKit; one leaves and the others see it go; a LiveKit-side drop ends a page\'s call', async () => {
    for (const built of ['apps/demo/dist/web/index.html', 'apps/demo/dist/server/main.js']) {
      expect(existsSync(join(ROOT, built)), `${built} missing: run npm run build`).toBe(true);
    }
    const screenshots = join(ROOT, '.run/screenshots-sfu');
    rmSync(screenshots, { recursive: true, force: true }); // this run's pictures only
    const { code, result } = await runInNamespace('test/browser/demo-sfu.mjs', [], { LIVEKIT_BINARY: inject('livekitBinary'), SCREENSHOT_DIR: screenshots });
    expect(result, `${result.error}\nsteps: ${result.steps}`).toMatchObject({ ok: true, replicas: ['gw1', 'gw2', 'gw1'] });
    const { alice, bob, carol } = result.ids as Record<string, string>;
    // The pages joined LiveKit with the grants Switchboard minted: identity <userId>:<connectionId>.
    expect(result.localIdentities).toEqual([alice, bob, carol]);
    expect(alice).toMatch(/^alice:/);
    expect(result.livekitBefore).toEqual([alice, bob, carol].sort());
    // Each page decoded video from exactly the other two.
    const decodedFrom = (who: string) => result.decoded[who] as Record<string, number>;
    expect(Object.keys(decodedFrom('alice')).sort()).toEqual([bob, carol].sort());
    expect(Object.keys(decodedFrom('bob')).sort()).toEqual([alice, carol].sort());
    expect(Object.keys(decodedFrom('carol')).sort()).toEqual([alice, bob].sort());
    for (const who of ['alice', 'bob', 'carol']) for (const frames of Object.values(decodedFrom(who))) expect(frames).toBeGreaterThan(0);
    expect(result.tileUsers).toEqual({ alice: ['bob', 'carol'], bob: ['alice', 'carol'], carol: ['alice', 'bob'] });
    // Carol left: gone from LiveKit and from the others' calls; Switchboard reported it as a room event.
    expect(result.carolTilesAfter).toBe(0);
    expect(result.afterLeave).toEqual({ alice: [bob], bob: [alice], livekit: [alice, bob].sort() });
    expect(result.mediaEvents).toContainEqual({ type: 'media.participant_left', identity: carol });
    // LiveKit dropped bob: his page's SfuCall ended by itself.
    expect(result.bobNotice).toMatch(/SFU call ended \(disconnected\)/);
    expect(existsSync(join(screenshots, 'sfu.png'))).toBe(true);
    expect(code).toBe(0);
    // Generous: eleven processes and three Chromium pages encoding and decoding video on a shared 2-core box.
  }, 480_000);
});
