import { beforeAll, describe, expect, it } from 'vitest';
import { ensurePackage, runInNamespace } from '@switchboard/testing/browser';

/**
 * The WebRTC path for real: two headless Chromium pages on different gateway replicas call each
 * other, signaling through Switchboard. Everything runs in a fresh network namespace with only
 * `lo` up, so no ICE candidate can point anywhere but loopback.
 */
describe('WebRTC call between two browsers through two gateway replicas', () => {
  // Both calls run in one namespace, on one stack and one Chromium (test/browser/webrtc-room-call.mjs):
  // a second set cost as much CPU as the calls themselves (issue 12, ADR 0085).
  let run: Awaited<ReturnType<typeof runInNamespace>>;
  beforeAll(async () => {
    ensurePackage('/usr/bin/turnserver', 'coturn');
    run = await runInNamespace('test/browser/webrtc-room-call.mjs');
  }, 240_000);

  it('reaches connectionState connected with video bytes flowing both ways', () => {
    const { code, result } = run;
    expect(result, result.error).toMatchObject({ ok: true, direct: { connectionState: ['connected', 'connected'], replicas: ['gw1', 'gw2'] } });
    const direct = result.direct;
    expect(direct.inboundBytes[0]).toBeGreaterThan(0);
    expect(direct.inboundBytes[1]).toBeGreaterThan(0);
    expect(direct.signalKindsReceivedByCallee).toEqual(expect.arrayContaining(['offer', 'ice']));
    for (const address of direct.localCandidateAddresses) expect(address).toMatch(/^(127\.|::1$)/);
    expect(direct.localCandidateTypes).toContain('host');
    expect(code).toBe(0);
  });

  it('connects through coturn with only the TURN credentials the media service put into hello', () => {
    const { code, result } = run;
    expect(result, result.error).toMatchObject({ ok: true, relay: { connectionState: ['connected', 'connected'], turnServersInHello: 1 } });
    const relay = result.relay;
    expect(relay.localCandidateTypes).toEqual(['relay']);
    expect(relay.inboundBytes[0]).toBeGreaterThan(0);
    expect(relay.inboundBytes[1]).toBeGreaterThan(0);
    expect(code).toBe(0);
  });
});
