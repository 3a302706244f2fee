import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Emitter } from '../emitter.js';
import type { SignalEvent } from '../types.js';
import type { Switchboard } from '../switchboard.js';
import { P2PCall } from './p2p.js';

/**
 * P2PCall against a scripted RTCPeerConnection: the browser e2e files prove real media flows;
 * these pin the perfect-negotiation and signal-routing rules without a browser.
 */
class FakePC {
  static last: FakePC;
  onnegotiationneeded: (() => Promise<void>) | null = null;
  ontrack: ((e: { streams: unknown[]; track: unknown }) => void) | null = null;
  onicecandidate: ((e: { candidate: { toJSON(): unknown } | null }) => void) | null = null;
  oniceconnectionstatechange: (() => void) | null = null;
  onconnectionstatechange: (() => void) | null = null;
  signalingState = 'stable';
  iceConnectionState = 'new';
  connectionState = 'new';
  remoteDescription: unknown = null;
  localDescription: { toJSON(): unknown } | null = null;
  readonly log: string[] = [];
  readonly candidates: unknown[] = [];
  failCandidate = false;
  failLocal = false;
  tracks: unknown[] = [];
  stats: { type: string; kind?: string; bytesReceived?: number }[] = [];
  transceivers: { currentDirection: string | null; receiver: { track: unknown } }[] = [];
  constructor(readonly config: unknown) {
    FakePC.last = this;
  }
  async setLocalDescription() {
    if (this.failLocal) throw new Error('sld failed');
    const type = this.remoteDescription && this.signalingState === 'have-remote-offer' ? 'answer' : 'offer';
    this.signalingState = type === 'offer' ? 'have-local-offer' : 'stable';
    this.localDescription = { toJSON: () => ({ type, sdp: `local-${type}` }) };
    this.log.push(`local:${type}`);
  }
  async setRemoteDescription(d: { type: string }) {
    this.remoteDescription = d;
    this.signalingState = d.type === 'offer' ? 'have-remote-offer' : 'stable';
    this.log.push(`remote:${d.type}`);
  }
  async addIceCandidate(c: unknown) {
    if (this.failCandidate) throw new Error('bad candidate');
    this.candidates.push(c);
  }
  addTrack(t: unknown) {
    this.tracks.push(t);
  }
  restartIce() {
    this.log.push('restartIce');
  }
  getTransceivers() {
    return this.transceivers;
  }
  getConfiguration() {
    return this.config as RTCConfiguration;
  }
  setConfiguration(c: RTCConfiguration) {
    this.log.push(`config:${JSON.stringify(c.iceServers)}`);
  }
  async getStats() {
    return new Map(this.stats.map((s, i) => [String(i), s]));
  }
  close() {
    this.log.push('close');
  }
}

class FakeStream {
  constructor(readonly tracks: unknown[] = []) {}
  getTracks() {
    return this.tracks;
  }
}

/** The SDK surface P2PCall uses: `signal` / `room.participant_updated` events and `request`. */
class FakeSb extends Emitter<{ signal: [SignalEvent]; 'room.participant_updated': [{ previousConnectionId?: string; participant: { connectionId: string } }] }> {
  connectionId = 'c_b';
  hello: { iceServers: { urls: string }[]; iceServersPending?: true; iceServersOnRequest?: true } = { iceServers: [{ urls: 'stun:example.test' }] };
  /** Resolves iceServers() (a `session.ice`) when pending. */
  ice?: (servers: { urls: string }[]) => void;
  iceServers() {
    return new Promise((resolve) => (this.ice = resolve));
  }
  sent: { to: string; roomId?: string; kind: string; payload: unknown }[] = [];
  async request(_t: string, body: { to: string; kind: string; payload: unknown }) {
    this.sent.push(body);
    return {};
  }
  fire(s: Partial<SignalEvent> & { kind: SignalEvent['kind'] }) {
    this.emit('signal', { from: 'c_a', payload: {}, ...s } as SignalEvent);
  }
  moved(previousConnectionId: string, connectionId: string) {
    this.emit('room.participant_updated', { previousConnectionId, participant: { connectionId } });
  }
}

const flush = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

describe('P2PCall (scripted RTCPeerConnection)', () => {
  let warn: ReturnType<typeof vi.spyOn>;
  beforeEach(() => {
    vi.stubGlobal('RTCPeerConnection', FakePC);
    vi.stubGlobal('MediaStream', FakeStream);
    warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => {
    vi.unstubAllGlobals();
    warn.mockRestore();
  });

  const call = (opts: Partial<ConstructorParameters<typeof P2PCall>[1]> = {}) => {
    const sb = new FakeSb();
    const c = new P2PCall(sb as unknown as Switchboard, { peer: 'c_a', roomId: 'r1', ...opts });
    return { sb, c, pc: FakePC.last };
  };

  it('uses the iceServers from hello unless rtcConfig overrides them', () => {
    expect(call().pc.config).toEqual({ iceServers: [{ urls: 'stun:example.test' }] });
    expect(call({ rtcConfig: { iceServers: [] } }).pc.config).toEqual({ iceServers: [] });
  });

  it('waits for session.ice (or the ice.servers answer) before gathering when hello said the ICE servers were pending (or on request), on either side', async () => {
    for (const [side, flag] of [['offer', 'iceServersPending'], ['answer', 'iceServersPending'], ['offer', 'iceServersOnRequest'], ['answer', 'iceServersOnRequest']] as const) {
      const sb = new FakeSb();
      sb.hello = { iceServers: [{ urls: 'stun:default.test' }], [flag]: true };
      const c = new P2PCall(sb as unknown as Switchboard, { peer: 'c_a', roomId: 'r1', polite: true });
      const pc = FakePC.last;
      if (side === 'offer') void pc.onnegotiationneeded!();
      else sb.fire({ kind: 'offer', payload: { type: 'offer' } });
      await flush();
      expect(pc.log.filter((l) => l.startsWith('local:'))).toEqual([]);
      sb.ice!([{ urls: 'turn:turn.test' }]);
      await flush();
      expect(pc.log.filter((l) => !l.startsWith('remote:'))).toEqual(['config:[{"urls":"turn:turn.test"}]', `local:${side}`]);
      c.close();
    }
  });

  it('sends the offer negotiationneeded makes, and local ICE candidates, to the peer in the room', async () => {
    const { sb, c, pc } = call();
    c.addStream(new FakeStream(['t1', 't2']) as unknown as MediaStream);
    expect(pc.tracks).toEqual(['t1', 't2']);
    await pc.onnegotiationneeded!();
    pc.onicecandidate!({ candidate: { toJSON: () => ({ candidate: 'cand1' }) } });
    pc.onicecandidate!({ candidate: null });
    expect(sb.sent).toEqual([
      { to: 'c_a', roomId: 'r1', kind: 'offer', payload: { type: 'offer', sdp: 'local-offer' } },
      { to: 'c_a', roomId: 'r1', kind: 'ice', payload: { candidate: 'cand1' } },
    ]);
  });

  it('omits roomId for a call between paired devices', async () => {
    const { sb, pc } = call({ roomId: undefined });
    await pc.onnegotiationneeded!();
    expect(sb.sent[0]).toEqual({ to: 'c_a', kind: 'offer', payload: { type: 'offer', sdp: 'local-offer' } });
  });

  it('warns on a failed negotiation while open, stays quiet after close, and clears makingOffer either way', async () => {
    const { sb, c, pc } = call({ polite: false });
    pc.failLocal = true;
    await pc.onnegotiationneeded!();
    expect(warn).toHaveBeenCalledTimes(1);
    // makingOffer went back to false: an offer in stable state is not a collision, so it is answered.
    pc.failLocal = false;
    sb.fire({ kind: 'offer', payload: { type: 'offer' } });
    await flush();
    expect(pc.log).toContain('remote:offer');
    c.close();
    pc.failLocal = true;
    await pc.onnegotiationneeded!();
    expect(warn).toHaveBeenCalledTimes(1);
  });

  it('callee: accept() answers the offer that rang and sends the answer', async () => {
    const { sb, c, pc } = call();
    await c.accept({ from: 'c_a', kind: 'offer', payload: { type: 'offer' } } as SignalEvent);
    expect(pc.log).toEqual(['remote:offer', 'local:answer']);
    expect(sb.sent).toEqual([{ to: 'c_a', roomId: 'r1', kind: 'answer', payload: { type: 'answer', sdp: 'local-answer' } }]);
  });

  it('queues candidates until the remote description, then applies them in order', async () => {
    const { sb, pc } = call();
    sb.fire({ kind: 'ice', payload: { candidate: 'x1' } });
    sb.fire({ kind: 'ice', payload: { candidate: 'x2' } });
    await flush();
    expect(pc.candidates).toEqual([]);
    sb.fire({ kind: 'offer', payload: { type: 'offer' } });
    await flush();
    expect(pc.candidates).toEqual([{ candidate: 'x1' }, { candidate: 'x2' }]);
    sb.fire({ kind: 'ice', payload: { candidate: 'x3' } });
    await flush();
    expect(pc.candidates).toHaveLength(3);
  });

  it('localStream: its tracks are added at once; a callee answers the ringing offer with them (no renegotiation)', async () => {
    const { sb, c, pc } = call({ localStream: new FakeStream(['cam', 'mic']) as unknown as MediaStream });
    expect(pc.tracks).toEqual(['cam', 'mic']);
    let tracksAtAnswer: unknown[] = [];
    const sld = pc.setLocalDescription.bind(pc);
    pc.setLocalDescription = async () => {
      tracksAtAnswer = [...pc.tracks];
      return sld();
    };
    await c.accept({ from: 'c_a', kind: 'offer', payload: { type: 'offer' } } as SignalEvent);
    expect(tracksAtAnswer).toEqual(['cam', 'mic']);
    expect(pc.log).toEqual(['remote:offer', 'local:answer']);
    expect(sb.sent.map((m) => m.kind)).toEqual(['answer']);
    c.close();
  });

  it('listen(): candidates that come while a call rings wait for the P2PCall made for that peer, once, and bounded', async () => {
    const sb = new FakeSb();
    const stop = P2PCall.listen(sb as unknown as Switchboard);
    expect(P2PCall.listen(sb as unknown as Switchboard)).toBeTypeOf('function');
    const offer = { from: 'c_a', kind: 'offer', payload: { type: 'offer' } } as SignalEvent;
    sb.fire(offer);
    sb.fire({ kind: 'ice', payload: { candidate: 'x1' } });
    sb.fire({ kind: 'ice', payload: { candidate: 'x2' } });
    sb.fire({ from: 'c_z', kind: 'ice', payload: { candidate: 'other' } });
    const c = new P2PCall(sb as unknown as Switchboard, { peer: 'c_a', roomId: 'r1' });
    const pc = FakePC.last;
    // After the call exists, its peer's candidates go to it (queued until the offer is applied), not to the buffer.
    sb.fire({ kind: 'ice', payload: { candidate: 'x3' } });
    await flush();
    expect(pc.candidates).toEqual([]);
    await c.accept(offer);
    await flush();
    expect(pc.candidates).toEqual([{ candidate: 'x1' }, { candidate: 'x2' }, { candidate: 'x3' }]);
    c.close();
    // Taken once: a second call for the same peer starts empty; a bye clears a ringing peer's.
    new P2PCall(sb as unknown as Switchboard, { peer: 'c_a' }).close();
    sb.fire({ from: 'c_y', kind: 'offer', payload: { type: 'offer' } });
    sb.fire({ from: 'c_y', kind: 'ice', payload: { candidate: 'y1' } });
    sb.fire({ from: 'c_y', kind: 'bye', payload: {} });
    const y = new P2PCall(sb as unknown as Switchboard, { peer: 'c_y', polite: true });
    await y.accept({ from: 'c_y', kind: 'offer', payload: { type: 'offer' } } as SignalEvent);
    expect(FakePC.last.candidates).toEqual([]);
    y.close();
    // At most 16 ringing peers: the oldest (c_z) is forgotten; at most 200 candidates each.
    for (let i = 0; i < 16; i++) sb.fire({ from: `c_p${i}`, kind: 'ice', payload: { candidate: `p${i}` } });
    for (let i = 0; i < 250; i++) sb.fire({ from: 'c_p15', kind: 'ice', payload: { candidate: `q${i}` } });
    for (const peer of ['c_z', 'c_p0', 'c_p15']) {
      const p = new P2PCall(sb as unknown as Switchboard, { peer, polite: true });
      await p.accept({ from: peer, kind: 'offer', payload: { type: 'offer' } } as SignalEvent);
      expect([peer, FakePC.last.candidates.length]).toEqual([peer, { c_z: 0, c_p0: 1, c_p15: 200 }[peer]]);
      p.close();
    }
    // Stopped: nothing is kept any more.
    stop();
    sb.fire({ from: 'c_w', kind: 'ice', payload: { candidate: 'w1' } });
    const w = new P2PCall(sb as unknown as Switchboard, { peer: 'c_w', polite: true });
    await w.accept({ from: 'c_w', kind: 'offer', payload: { type: 'offer' } } as SignalEvent);
    expect(FakePC.last.candidates).toEqual([]);
  });

  it('buffers at most 200 early candidates and drops the rest', async () => {
    const { sb, pc } = call();
    for (let i = 0; i < 250; i++) sb.fire({ kind: 'ice', payload: { candidate: `x${i}` } });
    sb.fire({ kind: 'answer', payload: { type: 'answer' } });
    await flush();
    expect(pc.candidates).toHaveLength(200);
    expect(pc.candidates.at(-1)).toEqual({ candidate: 'x199' });
  });

  it('ignores signals from anyone but the peer, and unknown kinds', async () => {
    const { sb, pc } = call();
    sb.fire({ from: 'c_other', kind: 'offer', payload: { type: 'offer' } });
    sb.fire({ kind: 'ringing' as SignalEvent['kind'] });
    await flush();
    expect(pc.log).toEqual([]);
    expect(sb.sent).toEqual([]);
  });

  it('impolite side ignores a colliding offer (and the candidates that fail with it); polite side rolls back and answers', async () => {
    const impolite = call({ polite: false });
    await impolite.pc.onnegotiationneeded!();
    impolite.sb.fire({ kind: 'offer', payload: { type: 'offer' } });
    await flush();
    expect(impolite.pc.log).toEqual(['local:offer']);
    impolite.pc.remoteDescription = { type: 'answer' };
    impolite.pc.failCandidate = true;
    impolite.sb.fire({ kind: 'ice', payload: { candidate: 'of-ignored-offer' } });
    await flush();
    expect(warn).not.toHaveBeenCalled();

    const polite = call({ polite: true });
    await polite.pc.onnegotiationneeded!();
    polite.sb.fire({ kind: 'offer', payload: { type: 'offer' } });
    await flush();
    expect(polite.pc.log).toEqual(['local:offer', 'remote:offer', 'local:answer']);
  });

  it('reports a candidate failure that is not from an ignored offer', async () => {
    const { sb, pc } = call();
    pc.remoteDescription = { type: 'answer' };
    pc.failCandidate = true;
    sb.fire({ kind: 'ice', payload: { candidate: 'bad' } });
    await flush();
    expect(warn).toHaveBeenCalledWith('p2p signal failed', expect.any(Error));
  });

  it('politeness defaults to the larger connection id, the same answer on both sides', () => {
    expect(call({ peer: 'c_a' }).c.polite).toBe(true); // c_b > c_a
    expect(call({ peer: 'c_c' }).c.polite).toBe(false);
  });

  it('follows the peer to its new connection on room.participant_updated', async () => {
    const { sb, c, pc } = call();
    sb.moved('c_other', 'c_x');
    expect(c.peer).toBe('c_a');
    sb.moved('c_a', 'c_a2');
    expect(c.peer).toBe('c_a2');
    await pc.onnegotiationneeded!();
    expect(sb.sent[0].to).toBe('c_a2');
    sb.fire({ kind: 'answer', payload: { type: 'answer' } }); // from the old id: ignored
    await flush();
    expect(pc.log).toEqual(['local:offer']);
  });

  it('hands over the receiving tracks once connected when no track event came (seen in Chromium), and only then', () => {
    const { c, pc } = call();
    const seen: unknown[][] = [];
    c.on('track', (s, t) => seen.push([s, t]));
    pc.transceivers = [
      { currentDirection: 'sendrecv', receiver: { track: 'audio' } },
      { currentDirection: 'sendonly', receiver: { track: 'not-received' } },
      { currentDirection: 'recvonly', receiver: { track: 'video' } },
    ];
    pc.connectionState = 'connected';
    pc.onconnectionstatechange!();
    expect(seen).toHaveLength(1);
    expect((seen[0][0] as FakeStream).tracks).toEqual(['audio', 'video']);
    expect(seen[0][1]).toBe('audio');
    // Connected again (after an ICE restart): nothing twice.
    pc.onconnectionstatechange!();
    expect(seen).toHaveLength(1);
    // With a real track event first, the fallback stays out.
    const other = call();
    const events: unknown[] = [];
    other.c.on('track', (_s, t) => events.push(t));
    other.pc.transceivers = pc.transceivers;
    other.pc.ontrack!({ streams: ['s'], track: 't' });
    other.pc.connectionState = 'connected';
    other.pc.onconnectionstatechange!();
    expect(events).toEqual(['t']);
  });

  it('emits remote tracks (wrapping a streamless track), state changes, and restarts ICE on failure', () => {
    const { c, pc } = call();
    const seen: unknown[][] = [];
    c.on('track', (s, t) => seen.push([s, t]));
    c.on('state', (s) => seen.push([s]));
    pc.ontrack!({ streams: ['s1'], track: 't1' });
    pc.ontrack!({ streams: [], track: 't2' });
    pc.connectionState = 'connected';
    pc.onconnectionstatechange!();
    expect(seen[0]).toEqual(['s1', 't1']);
    expect((seen[1][0] as FakeStream).tracks).toEqual(['t2']);
    expect(seen[2]).toEqual(['connected']);
    pc.iceConnectionState = 'disconnected';
    pc.oniceconnectionstatechange!();
    expect(pc.log).toEqual([]);
    pc.iceConnectionState = 'failed';
    pc.oniceconnectionstatechange!();
    expect(pc.log).toEqual(['restartIce']);
  });

  it('close() sends bye once, closes, emits closed (byPeer false) and ignores later signals', async () => {
    const { sb, c, pc } = call();
    const closed: unknown[] = [];
    c.on('closed', (i) => closed.push(i));
    c.close();
    c.close();
    expect(sb.sent).toEqual([{ to: 'c_a', roomId: 'r1', kind: 'bye', payload: {} }]);
    expect(pc.log).toEqual(['close']);
    expect(closed).toEqual([{ byPeer: false }]);
    pc.onicecandidate!({ candidate: { toJSON: () => ({}) } });
    sb.fire({ kind: 'offer', payload: { type: 'offer' } });
    await flush();
    expect(sb.sent).toHaveLength(1);
    expect(pc.log).toEqual(['close']);
  });

  it('a bye from the peer ends the call (byPeer true) without sending one back', async () => {
    const { sb, c, pc } = call();
    const closed: unknown[] = [];
    c.on('closed', (i) => closed.push(i));
    sb.fire({ kind: 'bye' });
    await flush();
    expect(closed).toEqual([{ byPeer: true }]);
    expect(sb.sent).toEqual([]);
    expect(pc.log).toEqual(['close']);
  });

  it('inboundVideoBytes sums inbound video RTP stats only', async () => {
    const { c, pc } = call();
    pc.stats = [
      { type: 'inbound-rtp', kind: 'video', bytesReceived: 100 },
      { type: 'inbound-rtp', kind: 'video' },
      { type: 'inbound-rtp', kind: 'audio', bytesReceived: 50 },
      { type: 'outbound-rtp', kind: 'video', bytesReceived: 7 },
      { type: 'inbound-rtp', kind: 'video', bytesReceived: 23 },
    ];
    expect(await c.inboundVideoBytes()).toBe(123);
  });
});
