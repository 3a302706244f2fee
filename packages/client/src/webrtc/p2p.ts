import type { SignalEvent } from '../types.js';
import type { Switchboard } from '../switchboard.js';

export interface P2PCallOptions {
  roomId: string;
  /** The peer's connection id (from the room's participants or a `call.*` event). */
  peer: string;
  /** Perfect negotiation: exactly one side is polite (it yields on offer collisions). */
  polite: boolean;
  /** RTCPeerConnection configuration; `iceServers` default to the ones in `hello`. */
  rtcConfig?: RTCConfiguration;
}

/**
 * A P2P call on RTCPeerConnection, wired to `signal` with the perfect negotiation pattern
 * (https://w3c.github.io/webrtc-pc/#perfect-negotiation-example): either side may add tracks
 * at any time; an ICE failure restarts ICE; when `room.participant_updated` says the peer's
 * connection id changed (it resumed on another connection), signals follow it.
 */
export class P2PCall {
  readonly pc: RTCPeerConnection;
  /** The peer's current connection id. */
  peer: string;
  private makingOffer = false;
  private ignoreOffer = false;
  private readonly offs: (() => void)[] = [];

  constructor(
    private readonly sb: Switchboard,
    private readonly opts: P2PCallOptions,
  ) {
    this.peer = opts.peer;
    this.pc = new RTCPeerConnection({ iceServers: sb.hello.iceServers, ...opts.rtcConfig });
    this.pc.onnegotiationneeded = async () => {
      try {
        this.makingOffer = true;
        await this.pc.setLocalDescription();
        this.send('offer', this.pc.localDescription?.toJSON());
      } finally {
        this.makingOffer = false;
      }
    };
    this.pc.onicecandidate = ({ candidate }) => candidate && this.send('ice', candidate.toJSON());
    this.pc.oniceconnectionstatechange = () => this.pc.iceConnectionState === 'failed' && this.pc.restartIce();
    this.offs.push(
      sb.on('signal', (s) => void this.onSignal(s)),
      sb.on('room.participant_updated', (d) => {
        if (d.previousConnectionId === this.peer) this.peer = d.participant.connectionId;
      }),
    );
  }

  private send(kind: SignalEvent['kind'], payload: unknown): void {
    this.sb.request('signal', { to: this.peer, roomId: this.opts.roomId, kind, payload } as never).catch(() => undefined);
  }

  private async onSignal(s: SignalEvent): Promise<void> {
    if (s.from !== this.peer) return;
    if (s.kind === 'bye') return this.close(false);
    if (s.kind === 'ice') {
      try {
        await this.pc.addIceCandidate(s.payload);
      } catch (err) {
        if (!this.ignoreOffer) throw err;
      }
      return;
    }
    if (s.kind !== 'offer' && s.kind !== 'answer') return;
    const collision = s.kind === 'offer' && (this.makingOffer || this.pc.signalingState !== 'stable');
    this.ignoreOffer = !this.opts.polite && collision;
    if (this.ignoreOffer) return;
    await this.pc.setRemoteDescription(s.payload);
    if (s.kind === 'offer') {
      await this.pc.setLocalDescription();
      this.send('answer', this.pc.localDescription?.toJSON());
    }
  }

  /** Hangs up: tells the peer (`bye`) and closes the connection. */
  close(notify = true): void {
    if (notify) this.send('bye', {});
    for (const off of this.offs.splice(0)) off();
    this.pc.close();
  }
}
