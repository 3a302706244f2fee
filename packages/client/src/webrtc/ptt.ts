import type { Switchboard } from '../switchboard.js';

/** One Opus packet of someone's talk spurt (`ptt.audio`), as bytes whatever the connection's encoding. */
export interface PttPacket {
  talkId: string;
  userId: string;
  seq: number;
  data: Uint8Array;
}

/** What a talk needs from the platform: WebCodecs' AudioEncoder and Chromium's MediaStreamTrackProcessor. */
interface TrackProcessor {
  readable: ReadableStream<AudioData>;
}
type TrackProcessorCtor = new (init: { track: MediaStreamTrack }) => TrackProcessor;

const toBase64 = (b: Uint8Array) => btoa(Array.from(b, (x) => String.fromCharCode(x)).join(''));
const fromBase64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

/**
 * Push-to-talk around `floor.*` and `ptt.audio` (ADR 0053): press() takes the floor (or rejects
 * `floor_busy` with `details.holder`), release() gives it back. talk(track) also streams a
 * microphone track as Opus (WebCodecs AudioEncoder, 20 ms packets) to the room while holding,
 * refreshing the lease; onAudio() hands out the packets others send (decode them with
 * PttAudioDecoder, or keep them).
 */
export class PushToTalk {
  /** Who holds the floor now (from `floor.taken` / `floor.released`), or null. */
  holder: string | null = null;
  /** The talk this client may send audio for while it holds the floor. */
  talkId: string | null = null;
  /** Audio packets sent, and why capture or encoding last stopped (diagnostics). */
  sent = 0;
  lastError?: string;
  private readonly offs: (() => void)[];
  private seq = 0;
  private capture?: { stop(): void };
  private leaseTimer?: ReturnType<typeof setTimeout>;

  constructor(
    private readonly sb: Switchboard,
    readonly roomId: string,
  ) {
    this.offs = [
      sb.on('floor.taken', (d, e) => e.room === roomId && (this.holder = d.userId)),
      sb.on('floor.released', (d, e) => {
        if (e.room !== roomId) return;
        if (this.holder === d.userId) this.holder = null;
        if (d.talkId && d.talkId === this.talkId) this.stopTalking();
      }),
    ];
  }

  /** Takes the floor; resolves with when it lapses unless released (or refreshed by asking again) and the talk's id. */
  async press(): Promise<{ expiresAt: number; talkId: string }> {
    const reply = await this.sb.request('floor.request', { roomId: this.roomId });
    this.holder = this.sb.userId;
    if (reply.talkId !== this.talkId) this.seq = 0;
    this.talkId = reply.talkId;
    return reply;
  }

  /**
   * Takes the floor and sends `track` (a microphone track, or a promise of one: the floor is
   * asked for first) as Opus packets until release(): the floor lease is refreshed while talking. Needs WebCodecs (AudioEncoder) and
   * MediaStreamTrackProcessor (Chromium); `bitrate` in bit/s (default 24000).
   */
  async talk(track: MediaStreamTrack | Promise<MediaStreamTrack>, opts: { bitrate?: number } = {}): Promise<{ expiresAt: number; talkId: string }> {
    const Processor = (globalThis as { MediaStreamTrackProcessor?: TrackProcessorCtor }).MediaStreamTrackProcessor;
    if (typeof AudioEncoder === 'undefined' || !Processor) throw new Error('push-to-talk audio needs WebCodecs AudioEncoder and MediaStreamTrackProcessor');
    // The floor first: the track may still be waiting for the microphone (a permission prompt).
    const grant = await this.press();
    this.keepLease(grant.expiresAt);
    let mic: MediaStreamTrack;
    try {
      mic = await track;
    } catch (err) {
      this.lastError = String((err as Error)?.message ?? err);
      throw err;
    }
    // Released while the microphone was opening: nothing to send.
    if (this.talkId !== grant.talkId) return grant;
    const reader = new Processor({ track: mic }).readable.getReader();
    let stopped = false;
    let encoder: AudioEncoder | undefined;
    const stop = () => {
      stopped = true;
      void reader.cancel().catch(() => undefined);
      if (encoder?.state === 'configured') void encoder.flush().catch(() => undefined).finally(() => encoder?.close());
    };
    const fail = (err: unknown) => {
      this.lastError = String((err as Error)?.message ?? err);
      stop();
    };
    this.capture = { stop };
    void (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done || stopped) {
          value?.close();
          return;
        }
        if (!encoder) {
          encoder = new AudioEncoder({ output: (chunk) => this.sendChunk(chunk), error: fail });
          // Opus at the capture's own rate and channel count; 20 ms packets (the gateway's rate cap assumes ≤ 100/s).
          encoder.configure({ codec: 'opus', sampleRate: value.sampleRate, numberOfChannels: value.numberOfChannels, bitrate: opts.bitrate ?? 24_000, opus: { frameDuration: 20_000 } } as AudioEncoderConfig);
        }
        encoder.encode(value);
        value.close();
      }
    })().catch(fail);
    return grant;
  }

  /** Releases the floor (and stops sending audio). */
  async release(): Promise<void> {
    this.stopTalking();
    await this.sb.request('floor.release', { roomId: this.roomId });
    if (this.holder === this.sb.userId) this.holder = null;
  }

  /** Packets of others' talk spurts in this room, in the order sent. */
  onAudio(handler: (packet: PttPacket) => void): () => void {
    return this.sb.on('ptt.audio', (d, e) => {
      if (e.room !== this.roomId) return;
      handler({ talkId: d.talkId, userId: d.userId, seq: d.seq, data: typeof d.data === 'string' ? fromBase64(d.data) : new Uint8Array(d.data) });
    });
  }

  /** Stops following the floor and stops any talk. */
  dispose(): void {
    this.stopTalking();
    for (const off of this.offs) off();
  }

  private sendChunk(chunk: EncodedAudioChunk): void {
    if (!this.talkId) return;
    const data = new Uint8Array(chunk.byteLength);
    chunk.copyTo(data);
    this.sb.notify('ptt.audio', { roomId: this.roomId, talkId: this.talkId, seq: this.seq++, data: this.sb.binary ? data : toBase64(data) });
    this.sent++;
  }

  /** Asks again at half the remaining lease while talking (a refresh keeps the talk). */
  private keepLease(expiresAt: number): void {
    clearTimeout(this.leaseTimer);
    this.leaseTimer = setTimeout(
      () => {
        if (!this.capture) return;
        this.press().then(
          (g) => this.keepLease(g.expiresAt),
          () => this.stopTalking(),
        );
      },
      Math.max(500, (expiresAt - Date.now()) / 2),
    );
  }

  private stopTalking(): void {
    clearTimeout(this.leaseTimer);
    this.capture?.stop();
    this.capture = undefined;
    this.talkId = null;
  }
}

/**
 * Decodes `ptt.audio` packets with WebCodecs' AudioDecoder (48 kHz Opus) and hands out the
 * decoded AudioData (close them, or play them through an AudioContext); `frames` counts them.
 */
export class PttAudioDecoder {
  frames = 0;
  /** Packets handed in, and decoder errors (diagnostics). */
  packets = 0;
  errors = 0;
  private decoder?: AudioDecoder;
  private talkId?: string;

  constructor(
    private readonly onData: (data: AudioData, packet: PttPacket) => void = (d) => d.close(),
    private readonly channels = 1,
  ) {}

  decode(packet: PttPacket): void {
    if (typeof AudioDecoder === 'undefined') throw new Error('decoding push-to-talk audio needs WebCodecs AudioDecoder');
    if (this.talkId !== packet.talkId || !this.decoder || this.decoder.state === 'closed') {
      // A new talk starts a new Opus stream.
      if (this.decoder?.state === 'configured') this.decoder.close();
      this.talkId = packet.talkId;
      const current = packet;
      this.decoder = new AudioDecoder({
        output: (data) => {
          this.frames++;
          this.onData(data, current);
        },
        error: () => void this.errors++,
      });
      this.decoder.configure({ codec: 'opus', sampleRate: 48_000, numberOfChannels: this.channels });
    }
    this.packets++;
    this.decoder.decode(new EncodedAudioChunk({ type: 'key', timestamp: packet.seq * 20_000, data: packet.data }));
  }

  close(): void {
    if (this.decoder?.state === 'configured') this.decoder.close();
  }
}
