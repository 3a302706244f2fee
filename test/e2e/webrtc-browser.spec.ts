import { describe, expect, it } from 'vitest';
import { ensurePackage, runInNamespace } from '@switchboard/testing/browser';

/**
 * The WebRTC path for real: two headless Chromium pages on different gateway replicas call each
 * other, signaling through Switchboard. Everything runs in a fresh network namespace with only
 * `lo` up, so no ICE candidate can point anywhere but loopback.
 */
describe('WebRTC call between two browsers through two gateway replicas', () => {
  const runCall = (...args: string[]) => runInNamespace('test/browser/webrtc-room-call.mjs', args);

  it('reaches connectionState connected with video bytes flowing both ways', async () => {
    const { code, result } = await runCall();
    expect(result, result.error).toMatchObject({ ok: true, connectionState: ['connected', 'connected'], replicas: ['gw1', 'gw2'] });
    expect(result.inboundBytes[0]).toBeGreaterThan(0);
    expect(result.inboundBytes[1]).toBeGreaterThan(0);
    expect(result.signalKindsReceivedByCallee).toEqual(expect.arrayContaining(['offer', 'ice']));
    for (const address of result.localCandidateAddresses) expect(address).toMatch(/^(127\.|::1$)/);
    expect(result.localCandidateTypes).toContain('host');
    expect(code).toBe(0);
  }, 180_000);

  it('connects through coturn with only the TURN credentials the media service put into hello', async () => {
    ensurePackage('/usr/bin/turnserver', 'coturn');
    const { code, result } = await runCall('--relay');
    expect(result, result.error).toMatchObject({ ok: true, connectionState: ['connected', 'connected'], turnServersInHello: 1 });
    expect(result.localCandidateTypes).toEqual(['relay']);
    expect(result.inboundBytes[0]).toBeGreaterThan(0);
    expect(result.inboundBytes[1]).toBeGreaterThan(0);
    expect(code).toBe(0);
  }, 180_000);
});
