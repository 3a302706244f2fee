import { Emitter } from '../emitter.js';
import type { SignalEvent } from '../types.js';
import type { Switchboard } from '../switchboard.js';

export interface P2PCallOptions {
  /** The room the call belongs to; omitted for a call between paired devices (no room). */
  roomId?: string;
  /** The peer's connection id (from the room's participants, a pairing or a ringing `signal`). */
  peer: string;
  /**
   * Perfect negotiation: exactly one side is polite (it yields on offer collisions). Default:
   * the side with the larger connection id, which both sides compute the same way.
   */
  polite?: boolean;
  /** RTCPeerConnection configuration; `iceServers` default to the ones in `hello`. */
  rtcConfig?: RTCConfiguration;
  /**
   * Local tracks sent from the start. A caller's start the offer; a callee that passes them
   * and calls `accept()` right away answers with them (one negotiation, no renegotiation).
   */
  localStream?: MediaStream;
}

export interface P2PCallEvents extends Record<string, unknown[]> {
  /** A remote track arrived (with the stream it belongs to). */
  track: [stream: MediaStream, track: MediaStreamTrack];
  /** `RTCPeerConnection.connectionState` changed. */
  state: [state: RTCPeerConnectionState];
  /** The call ended: hung up here (`close()`) or by the peer (`bye`). */
  closed: [info: { byPeer: boolean }];
}

/** Most ICE candidates buffered before the remote description arrives; later ones are dropped. */
const MAX_QUEUED_CANDIDATES = 200;
/** Ringing peers whose candidates {@link P2PCall.listen} keeps at once (the oldest goes first). */
const MAX_EARLY_PEERS = 16;
/** Candidates of a call that rang longer ago than this are not handed to a new P2PCall. */
const EARLY_TTL_MS = 120_000;

/**
 * The caller's ICE candidates that arrive while its offer rings (before the callee's P2PCall
 * exists, e.g. while the user decides or getUserMedia asks): kept per peer connection,
 * bounded, and handed to the P2PCall made for that peer. Signals of peers with a live call
 * are that call's business.
 */
class EarlySignals {
  readonly calls = new Set<P2PCall>();
  private readonly byPeer = new Map<string, { candidates: RTCIceCandidateInit[]; since: number }>();
  readonly off: () => void;

  constructor(sb: Switchboard) {
    this.off = sb.on('signal', (s) => this.onSignal(s));
  }

  private onSignal(s: SignalEvent): void {
    if ([...this.calls].some((c) => c.peer === s.from)) return;
    if (s.kind === 'bye') {
      this.byPeer.delete(s.from);
      return;
    }
    if (s.kind !== 'offer' && s.kind !== 'ice') return;
    let entry = this.byPeer.get(s.from);
    if (!entry || Date.now() - entry.since > EARLY_TTL_MS) {
      this.byPeer.delete(s.from);
      this.byPeer.set(s.from, (entry = { candidates: [], since: Date.now() }));
      if (this.byPeer.size > MAX_EARLY_PEERS) this.byPeer.delete(this.byPeer.keys().next().value!);
    }
    if (s.kind === 'ice' && entry.candidates.length < MAX_QUEUED_CANDIDATES) entry.candidates.push(s.payload as RTCIceCandidateInit);
  }

  /** The candidates kept for a peer (once: they leave the buffer). */
  take(peer: string): RTCIceCandidateInit[] {
    const entry = this.byPeer.get(peer);
    this.byPeer.delete(peer);
    return entry && Date.now() - entry.since <= EARLY_TTL_MS ? entry.candidates : [];
  }
}

const early = new WeakMap<Switchboard, EarlySignals>();

/**
 * A P2P call on RTCPeerConnection, wired to `signal` with the perfect negotiation pattern
 * (https://w3c.github.io/webrtc-pc/#perfect-negotiation-example): either side may add tracks
 * at any time; an ICE failure restarts ICE; when `room.participant_updated` says the peer's
 * connection id changed (it resumed on another connection), signals follow it.
 */
export class P2PCall extends Emitter<P2PCallEvents> {
  /**
   * Keeps the ICE candidates of calls that ring before their P2PCall exists (bounded: 16
   * peers, 200 candidates each, 2 minutes), so the callee's call starts with them. Call it
   * once after connecting; returns a function that stops it. Calling it again is harmless.
   */
  static listen(sb: Switchboard): () => void {
    let buffer = early.get(sb);
    if (!buffer) early.set(sb, (buffer = new EarlySignals(sb)));
    const mine = buffer;
    return () => {
      mine.off();
      if (early.get(sb) === mine) early.delete(sb);
    };
  }

  readonly pc: RTCPeerConnection;
  /** The peer's current connection id. */
  peer: string;
  private makingOffer = false;
  private ignoreOffer = false;
  private closed = false;
  /** Candidates that came before the remote description (addIceCandidate would reject them). */
  private readonly queued: RTCIceCandidateInit[] = [];
  /** A `track` went to the listeners (from the event or emitReceivedTracks). */
  private trackEmitted = false;
  private readonly offs: (() => void)[] = [];
  /** Resolves once the ICE servers are final (at once unless hello said they were pending). */
  private readonly iceReady: Promise<void>;

  constructor(
    private readonly sb: Switchboard,
    private readonly opts: P2PCallOptions,
  ) {
    super();
    this.peer = opts.peer;
    this.pc = new RTCPeerConnection({ iceServers: sb.hello.iceServers as RTCIceServer[] | undefined, ...opts.rtcConfig });
    // hello had only the STUN defaults (`iceServersPending`, ADR 0080; `iceServersOnRequest`,
    // ADR 0095): the TURN servers of `session.ice` or of an `ice.servers` request are set before
    // this side gathers any candidate (setLocalDescription).
    this.iceReady =
      (sb.hello.iceServersPending || sb.hello.iceServersOnRequest) && !opts.rtcConfig?.iceServers
        ? sb.iceServers().then((servers) => {
            if (!this.closed) this.pc.setConfiguration({ ...this.pc.getConfiguration(), iceServers: servers as RTCIceServer[] });
          })
        : Promise.resolve();
    this.pc.onnegotiationneeded = async () => {
      try {
        this.makingOffer = true;
        await this.iceReady;
        await this.pc.setLocalDescription();
        this.send('offer', this.pc.localDescription?.toJSON());
      } catch (err) {
        if (!this.closed) console.warn('p2p negotiation failed', err);
      } finally {
        this.makingOffer = false;
      }
    };
    this.pc.ontrack = (e) => {
      this.trackEmitted = true;
      this.emit('track', e.streams[0] ?? new MediaStream([e.track]), e.track);
    };
    this.pc.onicecandidate = ({ candidate }) => candidate && this.send('ice', candidate.toJSON());
    this.pc.oniceconnectionstatechange = () => this.pc.iceConnectionState === 'failed' && this.pc.restartIce();
    this.pc.onconnectionstatechange = () => {
      if (this.pc.connectionState === 'connected' && !this.trackEmitted) this.emitReceivedTracks();
      this.emit('state', this.pc.connectionState);
    };
    this.offs.push(
      sb.on('signal', (s) => void this.onSignal(s).catch((err) => !this.closed && console.warn('p2p signal failed', err))),
      sb.on('room.participant_updated', (d) => {
        if (d.previousConnectionId === this.peer) this.retarget(d.participant.connectionId);
      }),
    );
    const buffer = early.get(sb);
    if (buffer) {
      // From now on this call takes its peer's signals; what came while it rang is applied after the offer.
      this.queued.push(...buffer.take(this.peer).slice(0, MAX_QUEUED_CANDIDATES));
      buffer.calls.add(this);
      this.offs.push(() => buffer.calls.delete(this));
    }
    // Last, once every handler is set: the caller's tracks start the offer, the callee's ride the answer.
    if (opts.localStream) this.addStream(opts.localStream);
  }

  /**
   * Chromium was seen not to fire `track` on the offerer although the answer's media flowed
   * (the demo's browser test: frames decoded, no event): once connected without one, the
   * receiving transceivers' tracks are handed over as one stream.
   */
  private emitReceivedTracks(): void {
    const tracks = this.pc
      .getTransceivers()
      .filter((t) => t.currentDirection === 'sendrecv' || t.currentDirection === 'recvonly')
      .map((t) => t.receiver.track);
    if (!tracks.length) return;
    this.trackEmitted = true;
    this.emit('track', new MediaStream(tracks), tracks[0]!);
  }

  /** Whether this side yields on offer collisions. */
  get polite(): boolean {
    return this.opts.polite ?? this.sb.connectionId > this.peer;
  }

  /** Signals go to `peer` from now on (the SDK does this by itself on `room.participant_updated`). */
  retarget(peer: string): void {
    this.peer = peer;
  }

  /** Sends a local stream's tracks; the caller's first tracks start the offer. */
  addStream(stream: MediaStream): void {
    for (const t of stream.getTracks()) this.pc.addTrack(t, stream);
  }

  /** Callee: answers the offer that rang (it arrived before this call existed). */
  async accept(offer: SignalEvent): Promise<void> {
    await this.onSignal(offer);
  }

  private send(kind: SignalEvent['kind'], payload: unknown): void {
    if (this.closed && kind !== 'bye') return;
    const roomId = this.opts.roomId;
    this.sb.request('signal', { to: this.peer, ...(roomId ? { roomId } : {}), kind, payload } as never).catch(() => undefined);
  }

  private async onSignal(s: SignalEvent): Promise<void> {
    if (s.from !== this.peer || this.closed) return;
    if (s.kind === 'bye') return this.end(true);
    if (s.kind === 'ice') {
      if (!this.pc.remoteDescription) {
        if (this.queued.length < MAX_QUEUED_CANDIDATES) this.queued.push(s.payload);
        return;
      }
      try {
        await this.pc.addIceCandidate(s.payload);
      } catch (err) {
        if (!this.ignoreOffer) throw err;
      }
      return;
    }
    if (s.kind !== 'offer' && s.kind !== 'answer') return;
    const collision = s.kind === 'offer' && (this.makingOffer || this.pc.signalingState !== 'stable');
    this.ignoreOffer = !this.polite && collision;
    if (this.ignoreOffer) return;
    await this.pc.setRemoteDescription(s.payload);
    for (const c of this.queued.splice(0)) await this.pc.addIceCandidate(c).catch(() => undefined);
    if (s.kind === 'offer') {
      await this.iceReady;
      await this.pc.setLocalDescription();
      this.send('answer', this.pc.localDescription?.toJSON());
    }
  }

  /** Inbound video bytes so far (getStats): how a page or a test sees that frames arrive. */
  async inboundVideoBytes(): Promise<number> {
    let bytes = 0;
    (await this.pc.getStats()).forEach((r) => {
      if (r.type === 'inbound-rtp' && r.kind === 'video') bytes += r.bytesReceived ?? 0;
    });
    return bytes;
  }

  /** Hangs up: tells the peer (`bye`) and closes the connection. */
  close(): void {
    if (this.closed) return;
    this.send('bye', {});
    this.end(false);
  }

  private end(byPeer: boolean): void {
    if (this.closed) return;
    this.closed = true;
    for (const off of this.offs.splice(0)) off();
    this.pc.close();
    this.emit('closed', { byPeer });
  }
}
