// A P2P video call over `signal`, using the perfect negotiation pattern (the polite side rolls
// back on an offer collision) and an ICE restart when the connection fails.
import type { Frame, Link } from './connection.js';

export interface P2PCallOptions {
  link: Link;
  /** The peer's connection id; updated when the peer reconnects (room.participant_updated / resume). */
  peer: string;
  roomId?: string;
  iceServers: RTCIceServer[];
  local: MediaStream;
  onRemote: (stream: MediaStream) => void;
  onState: (state: RTCPeerConnectionState) => void;
}

/** Most candidates buffered before a remote description arrives; the rest are dropped. */
const MAX_QUEUED_CANDIDATES = 200;

export class P2PCall {
  readonly pc: RTCPeerConnection;
  private makingOffer = false;
  private ignoreOffer = false;
  private readonly queued: RTCIceCandidateInit[] = [];
  private readonly off: () => void;

  constructor(private readonly opts: P2PCallOptions) {
    this.pc = new RTCPeerConnection({ iceServers: opts.iceServers });
    const pc = this.pc;
    pc.ontrack = (e) => opts.onRemote(e.streams[0] ?? new MediaStream([e.track]));
    pc.onicecandidate = (e) => e.candidate && void this.send('ice', e.candidate.toJSON());
    pc.onnegotiationneeded = async () => {
      try {
        this.makingOffer = true;
        await pc.setLocalDescription();
        await this.send('offer', pc.localDescription!.toJSON());
      } catch (err) {
        console.warn('negotiation failed', err);
      } finally {
        this.makingOffer = false;
      }
    };
    pc.onconnectionstatechange = () => {
      opts.onState(pc.connectionState);
      if (pc.connectionState === 'failed') pc.restartIce();
    };
    this.off = opts.link.on('signal', (f) => void this.onSignal(f));
  }

  /** The polite peer yields on collisions; which one is polite only has to be agreed, so: the larger id. */
  private get polite(): boolean {
    return (this.opts.link.hello?.connectionId ?? '') > this.opts.peer;
  }

  retarget(peer: string): void {
    this.opts.peer = peer;
  }

  get peer(): string {
    return this.opts.peer;
  }

  /** Caller: adding the tracks fires negotiationneeded, which sends the offer. */
  start(): void {
    for (const t of this.opts.local.getTracks()) this.pc.addTrack(t, this.opts.local);
  }

  /** Callee: answers the offer that rang, then sends its own tracks on the same transceivers. */
  async accept(offer: Frame): Promise<void> {
    await this.onSignal(offer);
    for (const t of this.opts.local.getTracks()) this.pc.addTrack(t, this.opts.local);
  }

  private send(kind: string, payload: unknown) {
    return this.opts.link.request('signal', { to: this.opts.peer, ...(this.opts.roomId ? { roomId: this.opts.roomId } : {}), kind, payload }).catch((err) => console.warn('signal failed', err));
  }

  private async onSignal(f: Frame): Promise<void> {
    const { from, kind, payload } = f.data ?? {};
    if (from !== this.opts.peer) return;
    const pc = this.pc;
    if (kind === 'bye') return this.close(false);
    if (kind === 'ice') {
      if (pc.remoteDescription) await pc.addIceCandidate(payload).catch((err) => !this.ignoreOffer && console.warn(err));
      else if (this.queued.length < MAX_QUEUED_CANDIDATES) this.queued.push(payload);
      return;
    }
    if (kind !== 'offer' && kind !== 'answer') return;
    const collision = kind === 'offer' && (this.makingOffer || pc.signalingState !== 'stable');
    this.ignoreOffer = !this.polite && collision;
    if (this.ignoreOffer) return;
    await pc.setRemoteDescription(payload);
    for (const c of this.queued.splice(0)) await pc.addIceCandidate(c).catch(() => undefined);
    if (kind === 'offer') {
      await pc.setLocalDescription();
      await this.send('answer', pc.localDescription!.toJSON());
    }
  }

  async inboundVideoBytes(): Promise<number> {
    let bytes = 0;
    (await this.pc.getStats()).forEach((r) => {
      if (r.type === 'inbound-rtp' && r.kind === 'video') bytes += r.bytesReceived ?? 0;
    });
    return bytes;
  }

  close(notify = true): void {
    if (notify) void this.send('bye', {});
    this.off();
    this.pc.close();
    this.opts.onState('closed');
  }
}
