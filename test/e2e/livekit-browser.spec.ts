import { describe, expect, inject, it } from 'vitest';
import { ensurePackage, runInNamespace } from '@switchboard/testing/browser';

/**
 * The SFU for real: the real LiveKit v1.13.5 server (built by the test infra), coturn and the
 * whole stack in a fresh network namespace with only `lo`; two headless Chromium pages on two
 * gateway replicas join the room's LiveKit session with livekit-client using `media.token`.
 */
describe.skipIf(!inject('livekitBinary'))('SFU call through the real LiveKit between two browsers on two gateway replicas', () => {
  it('streams video through LiveKit; room.mute stops the publisher\'s track there; room.kick disconnects the page; webhooks come back as room events', async () => {
    ensurePackage('/usr/bin/turnserver', 'coturn');
    const { code, result } = await runInNamespace('test/browser/livekit-sfu.mjs', [], { LIVEKIT_BINARY: inject('livekitBinary') });
    expect(result, result.error).toMatchObject({ ok: true, replicas: ['gw1', 'gw2'] });
    expect(result.sfuUrl).toBe(result.livekitUrl);
    expect(result.sfuUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    expect(result.identities).toEqual([`alice:${result.connectionIds[0]}`, `bob:${result.connectionIds[1]}`]);
    expect(result.bytesReceived).toBeGreaterThan(0);
    expect(result.bobCamera).toBe('160x120'); // the small camera the page asked for (ADR 0086)
    expect(result.bobBeforeMute).toEqual({ tracks: 1, canPublish: true });
    expect(result.bobAfterMute).toEqual({ liveTracks: 0, canPublish: false });
    expect(result.mediaEventTypes).toContain('media.track_unpublished');
    expect(result.bobDisconnectReason).not.toBeNull();
    // webhooks seen by media, republished as room events in seq order
    expect(result.joinedIdentities).toEqual(expect.arrayContaining(result.identities));
    expect(result.mediaEventTypes).toContain('media.track_published');
    expect(result.leftIdentities).toContain(result.identities[1]);
    expect([...result.mediaEventSeqs].sort((a: number, b: number) => a - b)).toEqual(result.mediaEventSeqs);
    expect(result.webhooksPublished).toBeGreaterThanOrEqual(4);
    expect(result.iceServersInHello).toBeGreaterThan(0);
    expect(code).toBe(0);
  }, 240_000);
});
