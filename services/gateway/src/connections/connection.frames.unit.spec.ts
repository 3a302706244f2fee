// Prebuilt event frames (ADR 0078): what goes on the wire must be byte for byte what ws.send
// writes, read back by a real ws client over loopback (no other infrastructure).
import type { AddressInfo } from 'node:net';
import { pack, unpack } from 'msgpackr';
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as wsModule from 'ws';
import WebSocket, { WebSocketServer } from 'ws';
import { MSGPACK_PROTOCOL } from '../auth/credentials.js';
import { connection as fakeConnection } from '../testing/fakes.test.js';
import { Connection, eventFrameJson, HOLD_MAX_BYTES, SLOW_CONSUMER_CLOSE, wsFrame, type DeliveredEvent, type OutboundLimits } from './connection.js';

interface Client {
  ws: WebSocket;
  /** Every byte the client's TCP socket read after the upgrade. */
  raw: Buffer[];
  /** Messages as the ws client parsed them. */
  messages: { data: Buffer; binary: boolean }[];
  /** Resolves once `n` messages have arrived. */
  received(n: number): Promise<void>;
}

const servers: WebSocketServer[] = [];
const sockets: WebSocket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.terminate();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** A ws server on a free loopback port and a connected real client; returns both ends. */
async function pair(opts: { protocol?: string; deflate?: boolean } = {}): Promise<{ server: WebSocket; client: Client }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: opts.deflate ? { threshold: 0 } : false });
  servers.push(wss);
  await new Promise((r) => wss.once('listening', r));
  const serverSide = new Promise<WebSocket>((r) => wss.once('connection', r));
  const ws = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`, opts.protocol ? [opts.protocol] : [], { perMessageDeflate: !!opts.deflate });
  sockets.push(ws);
  const raw: Buffer[] = [];
  const messages: Client['messages'] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  ws.on('message', (data: Buffer, binary) => {
    messages.push({ data, binary });
    for (const w of waiters.filter((w) => messages.length >= w.n)) w.resolve();
  });
  await new Promise((r) => ws.once('open', r));
  (ws as unknown as { _socket: NodeJS.ReadableStream })._socket.on('data', (chunk: Buffer) => raw.push(chunk));
  const received = (n: number) => (messages.length >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ n, resolve })));
  const server = await serverSide;
  sockets.push(server);
  return { server, client: { ws, raw, messages, received } };
}

let ids = 0;
const conn = (ws: WebSocket, limits?: OutboundLimits) =>
  new Connection(`cf${++ids}`, `sf${ids}`, { userId: 'u', name: 'u', device: '', roles: [], exp: Date.now() / 1000 + 3600 }, 'gw-unit', ws, { perSec: 1000, burst: 1000 }, limits);

const event = (over: Partial<DeliveredEvent> = {}): DeliveredEvent => ({
  type: 'room.broadcast',
  roomId: 'r_frames',
  seq: 0,
  ts: 1_700_000_000_000,
  dataJson: '{"from":"u","data":{"text":"héllo ✓"}}',
  excludeConnectionId: '',
  onlyConnectionIds: [],
  ...over,
});

/** Bodies that need each of the three length encodings (7-bit, 16-bit, 64-bit). */
const sizes = [event(), event({ dataJson: JSON.stringify({ text: 'ü'.repeat(200) }) }), event({ dataJson: JSON.stringify({ text: 'x'.repeat(70_000) }) })];

/** Counts the server socket's writes to the kernel: every one goes through _write (one chunk) or _writev (several). */
function countWrites(ws: WebSocket): () => number {
  const raw = (ws as unknown as { _socket: { _write: (...a: unknown[]) => void; _writev: (...a: unknown[]) => void } })._socket;
  let writes = 0;
  for (const m of ['_write', '_writev'] as const) {
    const orig = raw[m].bind(raw);
    raw[m] = (...args: unknown[]) => {
      writes++;
      orig(...args);
    };
  }
  return () => writes;
}

const spySender = (ws: WebSocket) => vi.spyOn((ws as unknown as { _sender: { sendFrame(list: Buffer[]): void } })._sender, 'sendFrame');

describe('Connection event frames', () => {
  it('writes the same bytes as ws.send for JSON clients, in one prebuilt frame shared by every socket', async () => {
    const a = await pair();
    const b = await pair();
    const reference = await pair();
    const [ca, cb] = [conn(a.server), conn(b.server)];
    const frames = spySender(a.server);
    const wsSend = vi.spyOn(a.server, 'send');
    const events = sizes.map((e) => ({ ...e }));
    for (const e of events) {
      expect(ca.sendEvent(e)).toBe(true);
      expect(cb.sendEvent(e)).toBe(true);
      reference.server.send(eventFrameJson(e));
    }
    await Promise.all([a.client.received(3), b.client.received(3), reference.client.received(3)]);
    // The fast path was taken, with the frame built once per event for both sockets.
    expect(wsSend).not.toHaveBeenCalled();
    expect(frames.mock.calls.map(([list]) => list)).toEqual(events.map((e) => [e.wire!.text]));
    expect(frames.mock.calls[0]![0][0]).toBe(events[0]!.wire!.text);
    const bytes = (c: Client) => Buffer.concat(c.raw);
    expect(bytes(a.client).equals(bytes(reference.client))).toBe(true);
    expect(bytes(b.client).equals(bytes(reference.client))).toBe(true);
    expect(a.client.messages.map((m) => [m.binary, m.data.toString()])).toEqual(events.map((e) => [false, eventFrameJson(e)]));
  });

  it('writes the same bytes as ws.send for MessagePack clients, with and without a binary payload', async () => {
    const a = await pair({ protocol: MSGPACK_PROTOCOL });
    const reference = await pair({ protocol: MSGPACK_PROTOCOL });
    const c = conn(a.server);
    expect(c.binary).toBe(true);
    const frames = spySender(a.server);
    const audio = event({ type: 'ptt.audio', dataJson: '{"from":"u","chunk":3}', payload: new Uint8Array([0, 1, 2, 250, 255]) });
    const plain = event({ seq: 7 });
    const big = event({ dataJson: JSON.stringify({ text: 'y'.repeat(300) }) });
    for (const e of [audio, plain, big]) expect(c.sendEvent(e)).toBe(true);
    reference.server.send(pack({ type: 'ptt.audio', room: 'r_frames', ts: audio.ts, data: { from: 'u', chunk: 3, data: audio.payload } }));
    for (const e of [plain, big]) reference.server.send(pack(JSON.parse(eventFrameJson(e))));
    await Promise.all([a.client.received(3), reference.client.received(3)]);
    expect(frames).toHaveBeenCalledTimes(3);
    expect(Buffer.concat(a.client.raw).equals(Buffer.concat(reference.client.raw))).toBe(true);
    expect(a.client.messages.every((m) => m.binary)).toBe(true);
    expect(unpack(a.client.messages[0]!.data)).toEqual({ type: 'ptt.audio', room: 'r_frames', ts: audio.ts, data: { from: 'u', chunk: 3, data: Buffer.from([0, 1, 2, 250, 255]) } });
    expect(unpack(a.client.messages[1]!.data)).toEqual({ type: 'room.broadcast', room: 'r_frames', seq: 7, ts: plain.ts, data: { from: 'u', data: { text: 'héllo ✓' } } });
  });

  it('writes replies and its own events as one prebuilt frame, the same bytes as ws.send, JSON and MessagePack (ADR 0100)', async () => {
    for (const protocol of [undefined, MSGPACK_PROTOCOL]) {
      const a = await pair({ protocol });
      const reference = await pair({ protocol });
      const c = conn(a.server);
      const frames = spySender(a.server);
      const wsSend = vi.spyOn(a.server, 'send');
      const writes = countWrites(a.server);
      const replies = [{ re: '1', type: 'signal.ok', data: {} }, { re: '2', type: 'room.get.ok', data: { text: 'ü'.repeat(200) } }];
      for (const r of replies) {
        expect(c.send(r)).toBe(true);
        reference.server.send(protocol ? pack(r) : JSON.stringify(r));
      }
      await Promise.all([a.client.received(2), reference.client.received(2)]);
      expect(wsSend).not.toHaveBeenCalled();
      expect(frames).toHaveBeenCalledTimes(2);
      expect(writes()).toBe(2);
      expect(Buffer.concat(a.client.raw).equals(Buffer.concat(reference.client.raw))).toBe(true);
      expect(a.client.messages.map((m) => (protocol ? unpack(m.data) : JSON.parse(m.data.toString())) as unknown)).toEqual(replies);
    }
  });

  it('frames every length encoding as ws does', () => {
    // ws's own framing (its Sender, exported by the ESM entry): the reference for the header bytes.
    const sender = (wsModule as unknown as { Sender: { frame(data: Buffer, o: object): Buffer[] } }).Sender;
    for (const n of [0, 1, 125, 126, 65_535, 65_536, 70_000]) {
      const payload = Buffer.alloc(n, 0x61);
      for (const opcode of [1, 2]) {
        const expected = Buffer.concat(sender.frame(payload, { fin: true, opcode, mask: false, readOnly: false, rsv1: false }));
        expect(wsFrame(payload, opcode).equals(expected)).toBe(true);
        expect(wsFrame(payload.toString(), opcode).equals(expected)).toBe(true);
      }
    }
  });

  it('falls back to ws.send when permessage-deflate is negotiated, and the client still reads the event', async () => {
    const a = await pair({ deflate: true });
    expect(a.server.extensions).toContain('permessage-deflate');
    const c = conn(a.server);
    const frames = spySender(a.server);
    const wsSend = vi.spyOn(a.server, 'send');
    const e = event();
    expect(c.sendEvent(e)).toBe(true);
    await a.client.received(1);
    expect(frames).not.toHaveBeenCalledWith([expect.anything()]);
    expect(wsSend).toHaveBeenCalledWith(eventFrameJson(e));
    expect(e.wire?.text).toBeUndefined();
    expect(a.client.messages[0]!.data.toString()).toBe(eventFrameJson(e));
  });

  it('falls back to ws.send without ws internals, and while ws has frames queued (nothing overtakes them)', () => {
    // A socket without `_sender` (another ws version, a test double).
    const { conn: bare, socket } = fakeConnection();
    const e = event({ seq: 3 });
    expect(bare.sendEvent(e)).toBe(true);
    expect(socket.sent).toEqual([JSON.parse(eventFrameJson(e))]);
    // A sender busy with a deflate or blob read (state ≠ 0): its queue keeps the order.
    const sendFrame = vi.fn();
    const queued = fakeConnection();
    Object.assign(queued.socket, { _sender: { sendFrame, _state: 1 }, extensions: '' });
    const c = new Connection('cq', 'sq', queued.conn.identity, 'gw-unit', queued.socket as unknown as WebSocket, { perSec: 1000, burst: 1000 });
    expect(c.sendEvent(e)).toBe(true);
    expect(sendFrame).not.toHaveBeenCalled();
    expect(queued.socket.sent).toEqual([JSON.parse(eventFrameJson(e))]);
  });

  it('keeps replies and events in send order on one socket', async () => {
    const a = await pair();
    const c = conn(a.server);
    c.send({ re: '1', type: 'ok', data: {} });
    c.sendEvent(event({ seq: 1 }));
    c.send({ re: '2', type: 'ok', data: {} });
    c.sendEvent(event({ seq: 2 }));
    await a.client.received(4);
    expect(a.client.messages.map((m) => JSON.parse(m.data.toString()) as { re?: string; seq?: number }).map((f) => f.re ?? f.seq)).toEqual(['1', 1, '2', 2]);
  });

  it('counts prebuilt frames in bufferedAmount and closes a slow consumer with 1013, with turn and burst writes too', async () => {
    for (const writes of ['frame', 'turn', 'burst'] as const) {
      const a = await pair();
      const limits = { maxBufferedBytes: 1000, closeGraceMs: 60_000, writes };
      const c = conn(a.server, limits);
      const raw = (a.server as unknown as { _socket: { cork(): void; uncork(): void } })._socket;
      // Corked, the frame stays in the socket's buffer: exactly what the limit reads (a kernel
      // that takes nothing more). `turn`'s own hold is released before the limit is read, not this.
      raw.cork();
      const e = event({ dataJson: JSON.stringify({ text: 'z'.repeat(1200) }) });
      expect(c.sendEvent(e)).toBe(true);
      expect(a.server.bufferedAmount).toBe(e.wire!.text!.length);
      const closed = new Promise<number>((r) => a.client.ws.once('close', (code) => r(code)));
      expect(c.sendEvent(event({ seq: 9 }))).toBe(false);
      raw.uncork();
      expect(await closed).toBe(SLOW_CONSUMER_CLOSE);
      expect(a.client.messages).toHaveLength(1);
    }
  });

  it('with turn or burst writes, bytes held for the turn are no backlog: a turn holding more than the cap for a reader that reads does not close it (ADRs 0087, 0099)', async () => {
    for (const writes of ['frame', 'turn', 'burst'] as const) {
      const a = await pair();
      // The turn writes far more than the cap, all of which the kernel takes at once.
      const c = conn(a.server, { maxBufferedBytes: 16 * 1024, closeGraceMs: 0, writes });
      const n = 15;
      for (let seq = 1; seq <= n; seq++) expect(c.sendEvent(event({ seq, dataJson: JSON.stringify({ text: String(seq % 10).repeat(10_000) }) }))).toBe(true);
      await a.client.received(n);
      expect(a.client.ws.readyState).toBe(WebSocket.OPEN);
      expect(a.client.messages.map((m) => (JSON.parse(m.data.toString()) as { seq: number }).seq)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    }
  });

  it('with turn writes, a turn holds at most HOLD_MAX_BYTES (and a frame) before it writes', async () => {
    const a = await pair();
    const c = conn(a.server, { maxBufferedBytes: 1 << 20, closeGraceMs: 0, writes: 'turn' });
    const writes = countWrites(a.server);
    // 2 × HOLD_MAX_BYTES and a bit, in frames of ~10 KB: two early writes, and the rest at the turn's end.
    const n = Math.ceil((2 * HOLD_MAX_BYTES) / 10_000) + 1;
    for (let seq = 1; seq <= n; seq++) expect(c.sendEvent(event({ seq, dataJson: JSON.stringify({ text: 'h'.repeat(10_000) }) }))).toBe(true);
    expect(writes()).toBe(2);
    await a.client.received(n);
    expect(writes()).toBe(3);
  });

  it('writes the frames of one turn to a socket in one write with turn writes, in order (ADR 0082)', async () => {
    for (const writes of ['turn', 'frame'] as const) {
      const a = await pair();
      const c = conn(a.server, { maxBufferedBytes: 1 << 20, closeGraceMs: 0, writes });
      const socketWrites = countWrites(a.server);
      c.send({ re: '1', type: 'ok', data: {} });
      for (let seq = 1; seq <= 4; seq++) {
        c.sendEvent(event({ seq }));
        await Promise.resolve(); // frames of one turn, not of one call
      }
      await a.client.received(5);
      expect(a.client.messages.map((m) => JSON.parse(m.data.toString()) as { re?: string; seq?: number }).map((f) => f.re ?? f.seq)).toEqual(['1', 1, 2, 3, 4]);
      expect(socketWrites()).toBe(writes === 'turn' ? 1 : 5);
    }
  });

  it('with burst, a socket\'s first frame of a turn is written at once and the rest of the turn in one more write, in order (ADR 0099)', async () => {
    const a = await pair();
    const c = conn(a.server, { maxBufferedBytes: 1 << 20, closeGraceMs: 0, writes: 'burst' });
    const writes = countWrites(a.server);
    c.send({ re: '1', type: 'ok', data: {} });
    expect(writes()).toBe(1);
    for (let seq = 1; seq <= 4; seq++) {
      c.sendEvent(event({ seq }));
      await Promise.resolve(); // frames of one turn, not of one call
    }
    expect(writes()).toBe(1);
    await a.client.received(5);
    expect(writes()).toBe(2);
    // A later turn's first frame is written at once again.
    await new Promise((r) => setImmediate(r));
    c.sendEvent(event({ seq: 5 }));
    expect(writes()).toBe(3);
    await a.client.received(6);
    expect(a.client.messages.map((m) => JSON.parse(m.data.toString()) as { re?: string; seq?: number }).map((f) => f.re ?? f.seq)).toEqual(['1', 1, 2, 3, 4, 5]);
  });
});
