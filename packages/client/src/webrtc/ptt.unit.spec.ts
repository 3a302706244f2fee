import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Switchboard } from '../switchboard.js';
import { PttAudioDecoder, PushToTalk, type PttPacket } from './ptt.js';

/**
 * PushToTalk and PttAudioDecoder against scripted WebCodecs / MediaStreamTrackProcessor fakes
 * (the browser e2e file proves real Opus flows): floor following, lease refresh, packet framing.
 */
type Handler = (d: Record<string, unknown>, e: { room: string }) => void;
class FakeSb {
  userId = 'u_me';
  binary = false;
  handlers = new Map<string, Set<Handler>>();
  requests: [string, unknown][] = [];
  notified: [string, Record<string, unknown>][] = [];
  grant = (): object | Promise<object> => ({ expiresAt: Date.now() + 10_000, talkId: 't1' });
  on(ev: string, h: Handler) {
    if (!this.handlers.has(ev)) this.handlers.set(ev, new Set());
    this.handlers.get(ev)!.add(h);
    return () => this.handlers.get(ev)!.delete(h);
  }
  fire(ev: string, d: Record<string, unknown>, room = 'r1') {
    for (const h of this.handlers.get(ev) ?? []) h(d, { room });
  }
  async request(t: string, body: unknown) {
    this.requests.push([t, body]);
    return t === 'floor.request' ? this.grant() : {};
  }
  notify(t: string, body: Record<string, unknown>) {
    this.notified.push([t, body]);
  }
}

/** A capture whose frames the test pushes; `cancelled` says whether the talk stopped reading. */
class FakeReader {
  queue: ({ value?: FakeAudioData; done: boolean } | undefined)[] = [];
  waiting?: (r: { value?: FakeAudioData; done: boolean }) => void;
  cancelled = false;
  push(r: { value?: FakeAudioData; done: boolean }) {
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = undefined;
      w(r);
    } else this.queue.push(r);
  }
  read() {
    const next = this.queue.shift();
    return next ? Promise.resolve(next) : new Promise<{ value?: FakeAudioData; done: boolean }>((r) => (this.waiting = r));
  }
  cancel() {
    this.cancelled = true;
    return Promise.resolve();
  }
}
class FakeAudioData {
  closed = false;
  sampleRate = 48_000;
  numberOfChannels = 1;
  close() {
    this.closed = true;
  }
}
let reader: FakeReader;
class FakeProcessor {
  readable = { getReader: () => reader };
  constructor(readonly init: { track: unknown }) {}
}
class FakeEncoder {
  static last?: FakeEncoder;
  state = 'unconfigured';
  config?: Record<string, unknown>;
  encoded: unknown[] = [];
  flushed = false;
  constructor(readonly init: { output: (c: unknown) => void; error: (e: unknown) => void }) {
    FakeEncoder.last = this;
  }
  configure(c: Record<string, unknown>) {
    this.config = c;
    this.state = 'configured';
  }
  encode(v: unknown) {
    this.encoded.push(v);
  }
  async flush() {
    this.flushed = true;
  }
  close() {
    this.state = 'closed';
  }
}
const chunk = (bytes: number[]) => ({ byteLength: bytes.length, copyTo: (d: Uint8Array) => d.set(bytes) });
const flush = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

describe('PushToTalk (scripted WebCodecs)', () => {
  beforeEach(() => {
    reader = new FakeReader();
    FakeEncoder.last = undefined;
    vi.stubGlobal('AudioEncoder', FakeEncoder);
    vi.stubGlobal('MediaStreamTrackProcessor', FakeProcessor);
  });
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.useRealTimers();
  });

  it('press() takes the floor, release() gives it back; the holder follows floor.* events of this room only', async () => {
    const sb = new FakeSb();
    const ptt = new PushToTalk(sb as unknown as Switchboard, 'r1');
    expect(await ptt.press()).toMatchObject({ talkId: 't1' });
    expect(ptt.holder).toBe('u_me');
    expect(ptt.talkId).toBe('t1');
    sb.fire('floor.taken', { userId: 'u_other' }, 'r2');
    expect(ptt.holder).toBe('u_me');
    await ptt.release();
    expect(sb.requests.map((r) => r[0])).toEqual(['floor.request', 'floor.release']);
    expect(ptt.holder).toBeNull();
    expect(ptt.talkId).toBeNull();
    sb.fire('floor.taken', { userId: 'u_other' });
    expect(ptt.holder).toBe('u_other');
    sb.fire('floor.released', { userId: 'u_other' }, 'r2');
    expect(ptt.holder).toBe('u_other');
    sb.fire('floor.released', { userId: 'u_third' });
    expect(ptt.holder).toBe('u_other');
    sb.fire('floor.released', { userId: 'u_other' });
    expect(ptt.holder).toBeNull();
    ptt.dispose();
    sb.fire('floor.taken', { userId: 'u_x' });
    expect(ptt.holder).toBeNull();
  });

  it('release() keeps a holder that is someone else', async () => {
    const sb = new FakeSb();
    const ptt = new PushToTalk(sb as unknown as Switchboard, 'r1');
    sb.fire('floor.taken', { userId: 'u_other' });
    await ptt.release();
    expect(ptt.holder).toBe('u_other');
  });

  it('talk() refuses without WebCodecs, before asking for the floor', async () => {
    vi.stubGlobal('MediaStreamTrackProcessor', undefined);
    const sb = new FakeSb();
    const ptt = new PushToTalk(sb as unknown as Switchboard, 'r1');
    await expect(ptt.talk({} as MediaStreamTrack)).rejects.toThrow(/WebCodecs/);
    expect(sb.requests).toEqual([]);
  });

  it('talk() encodes captured frames as 20 ms Opus and sends numbered packets (base64 on JSON, bytes on binary)', async () => {
    const sb = new FakeSb();
    const ptt = new PushToTalk(sb as unknown as Switchboard, 'r1');
    await ptt.talk(Promise.resolve({} as MediaStreamTrack), { bitrate: 16_000 });
    const f1 = new FakeAudioData();
    reader.push({ value: f1, done: false });
    await flush();
    const enc = FakeEncoder.last!;
    expect(enc.config).toMatchObject({ codec: 'opus', sampleRate: 48_000, numberOfChannels: 1, bitrate: 16_000, opus: { frameDuration: 20_000 } });
    expect(enc.encoded).toEqual([f1]);
    expect(f1.closed).toBe(true);
    enc.init.output(chunk([1, 2, 3]));
    sb.binary = true;
    enc.init.output(chunk([4]));
    expect(sb.notified).toEqual([
      ['ptt.audio', { roomId: 'r1', talkId: 't1', seq: 0, data: 'AQID' }],
      ['ptt.audio', { roomId: 'r1', talkId: 't1', seq: 1, data: new Uint8Array([4]) }],
    ]);
    expect(ptt.sent).toBe(2);
    await ptt.release();
    expect(reader.cancelled).toBe(true);
    await flush();
    expect(enc.flushed).toBe(true);
    expect(enc.state).toBe('closed');
    // After release no talk id: late encoder output is dropped.
    enc.init.output(chunk([9]));
    expect(sb.notified).toHaveLength(2);
  });

  it('restarts packet numbering for a new talk, keeps it for a refresh of the same talk', async () => {
    const sb = new FakeSb();
    const ptt = new PushToTalk(sb as unknown as Switchboard, 'r1');
    await ptt.talk({} as MediaStreamTrack);
    reader.push({ value: new FakeAudioData(), done: false });
    await flush();
    FakeEncoder.last!.init.output(chunk([1]));
    await ptt.press(); // same talkId t1: a refresh
    FakeEncoder.last!.init.output(chunk([1]));
    expect(sb.notified.map(([, b]) => b.seq)).toEqual([0, 1]);
    sb.grant = () => ({ expiresAt: Date.now() + 10_000, talkId: 't2' });
    await ptt.press();
    FakeEncoder.last!.init.output(chunk([1]));
    expect(sb.notified.map(([, b]) => [b.talkId, b.seq])).toEqual([
      ['t1', 0],
      ['t1', 1],
      ['t2', 0],
    ]);
    ptt.dispose();
  });

  it('a floor.released for its own talk stops capture (the floor lapsed or was taken away)', async () => {
    const sb = new FakeSb();
    const ptt = new PushToTalk(sb as unknown as Switchboard, 'r1');
    await ptt.talk({} as MediaStreamTrack);
    sb.fire('floor.released', { userId: 'u_me', talkId: 'other-talk' });
    expect(reader.cancelled).toBe(false);
    sb.fire('floor.released', { userId: 'u_me', talkId: 't1' });
    expect(reader.cancelled).toBe(true);
    expect(ptt.talkId).toBeNull();
    expect(ptt.holder).toBeNull();
  });

  it('records a microphone failure and rethrows it', async () => {
    const sb = new FakeSb();
    const ptt = new PushToTalk(sb as unknown as Switchboard, 'r1');
    await expect(ptt.talk(Promise.reject(new Error('NotAllowedError')))).rejects.toThrow('NotAllowedError');
    expect(ptt.lastError).toBe('NotAllowedError');
    ptt.dispose();
  });

  it('sends nothing when released while the microphone was opening', async () => {
    const sb = new FakeSb();
    const ptt = new PushToTalk(sb as unknown as Switchboard, 'r1');
    let open!: (t: MediaStreamTrack) => void;
    const talking = ptt.talk(new Promise<MediaStreamTrack>((r) => (open = r)));
    await flush();
    await ptt.release();
    open({} as MediaStreamTrack);
    await talking;
    reader.push({ value: new FakeAudioData(), done: false });
    await flush();
    expect(FakeEncoder.last).toBeUndefined();
  });

  it('an encoder error stops the capture and is kept as lastError; the end of the track closes its last frame', async () => {
    const sb = new FakeSb();
    const ptt = new PushToTalk(sb as unknown as Switchboard, 'r1');
    await ptt.talk({} as MediaStreamTrack);
    reader.push({ value: new FakeAudioData(), done: false });
    await flush();
    FakeEncoder.last!.init.error(new Error('EncodingError'));
    expect(ptt.lastError).toBe('EncodingError');
    expect(reader.cancelled).toBe(true);
    const last = new FakeAudioData();
    reader.push({ value: last, done: false });
    await flush();
    expect(last.closed).toBe(true);
    expect(FakeEncoder.last!.encoded).toHaveLength(1);
    ptt.dispose();
  });

  it('refreshes the lease at half its remaining time while talking, and stops talking when a refresh fails', async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const sb = new FakeSb();
    const ptt = new PushToTalk(sb as unknown as Switchboard, 'r1');
    await ptt.talk({} as MediaStreamTrack);
    expect(sb.requests).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(4_999);
    expect(sb.requests).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(sb.requests).toHaveLength(2);
    // A lease about to lapse is still refreshed no sooner than 500 ms later.
    sb.grant = () => ({ expiresAt: Date.now() + 100, talkId: 't1' });
    await vi.advanceTimersByTimeAsync(5_000);
    expect(sb.requests).toHaveLength(3);
    sb.grant = () => Promise.reject(new Error('floor_busy'));
    await vi.advanceTimersByTimeAsync(500);
    expect(sb.requests).toHaveLength(4);
    expect(reader.cancelled).toBe(true);
    expect(ptt.talkId).toBeNull();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(sb.requests).toHaveLength(4);
  });

  it('onAudio hands out packets of this room as bytes, from base64 or binary frames', () => {
    const sb = new FakeSb();
    const ptt = new PushToTalk(sb as unknown as Switchboard, 'r1');
    const got: PttPacket[] = [];
    const off = ptt.onAudio((p) => got.push(p));
    sb.fire('ptt.audio', { talkId: 't', userId: 'u', seq: 0, data: 'AQID' });
    sb.fire('ptt.audio', { talkId: 't', userId: 'u', seq: 1, data: [4, 5] });
    sb.fire('ptt.audio', { talkId: 't', userId: 'u', seq: 2, data: 'AA==' }, 'r2');
    off();
    sb.fire('ptt.audio', { talkId: 't', userId: 'u', seq: 3, data: 'AA==' });
    expect(got).toEqual([
      { talkId: 't', userId: 'u', seq: 0, data: new Uint8Array([1, 2, 3]) },
      { talkId: 't', userId: 'u', seq: 1, data: new Uint8Array([4, 5]) },
    ]);
  });
});

describe('PttAudioDecoder (scripted WebCodecs)', () => {
  class FakeDecoder {
    static all: FakeDecoder[] = [];
    state = 'unconfigured';
    config?: unknown;
    chunks: { type: string; timestamp: number; data: Uint8Array }[] = [];
    constructor(readonly init: { output: (d: unknown) => void; error: (e: unknown) => void }) {
      FakeDecoder.all.push(this);
    }
    configure(c: unknown) {
      this.config = c;
      this.state = 'configured';
    }
    decode(c: { type: string; timestamp: number; data: Uint8Array }) {
      this.chunks.push(c);
    }
    close() {
      this.state = 'closed';
    }
  }
  class FakeChunk {
    constructor(init: object) {
      Object.assign(this, init);
    }
  }
  beforeEach(() => {
    FakeDecoder.all = [];
    vi.stubGlobal('AudioDecoder', FakeDecoder);
    vi.stubGlobal('EncodedAudioChunk', FakeChunk);
  });
  afterEach(() => vi.unstubAllGlobals());

  const packet = (talkId: string, seq: number): PttPacket => ({ talkId, userId: 'u', seq, data: new Uint8Array([seq]) });

  it('refuses without WebCodecs', () => {
    vi.stubGlobal('AudioDecoder', undefined);
    expect(() => new PttAudioDecoder().decode(packet('t', 0))).toThrow(/AudioDecoder/);
  });

  it('one 48 kHz Opus decoder per talk, chunks timed by seq, output counted and handed out with its packet', () => {
    const out: [unknown, PttPacket][] = [];
    const dec = new PttAudioDecoder((d, p) => out.push([d, p]), 2);
    dec.decode(packet('t1', 0));
    dec.decode(packet('t1', 1));
    expect(FakeDecoder.all).toHaveLength(1);
    const d1 = FakeDecoder.all[0];
    expect(d1.config).toEqual({ codec: 'opus', sampleRate: 48_000, numberOfChannels: 2 });
    expect(d1.chunks.map((c) => [c.type, c.timestamp])).toEqual([
      ['key', 0],
      ['key', 20_000],
    ]);
    d1.init.output('pcm');
    expect(out).toEqual([['pcm', packet('t1', 0)]]);
    expect(dec.frames).toBe(1);
    d1.init.error(new Error('x'));
    expect(dec.errors).toBe(1);

    dec.decode(packet('t2', 0));
    expect(FakeDecoder.all).toHaveLength(2);
    expect(d1.state).toBe('closed');
    expect(dec.packets).toBe(3);
    // A decoder closed by an error is replaced even within the same talk.
    FakeDecoder.all[1].state = 'closed';
    dec.decode(packet('t2', 1));
    expect(FakeDecoder.all).toHaveLength(3);
    dec.close();
    expect(FakeDecoder.all[2].state).toBe('closed');
  });

  it('closes decoded data by default', () => {
    const dec = new PttAudioDecoder();
    dec.decode(packet('t', 0));
    const data = {
      closed: false,
      close() {
        this.closed = true;
      },
    };
    FakeDecoder.all[0].init.output(data);
    expect(data.closed).toBe(true);
    dec.close();
    new PttAudioDecoder().close(); // nothing opened: nothing to close
  });
});
