import { pack, Packr, unpack } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { decodeFrame, overLimits, peekId } from './frame.codec.js';
import { scanMsgpack } from './msgpack.decoder.js';

const json = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));
const LIMITS = { maxDepth: 32, maxNodes: 10_000 };

/** A document whose every level holds `fan` references to the level below: tiny packed, fan^levels once expanded. */
function referenceBomb(levels: number, fan: number, packr: Packr): Buffer {
  let level: unknown = { s: 'x'.repeat(64) };
  for (let i = 0; i < levels; i++) level = Array.from({ length: fan }, () => level);
  return packr.pack({ id: 'bomb', type: 'room.broadcast', data: { roomId: 'r1', data: level } });
}

describe('decodeFrame', () => {
  it('reads the envelope', () => {
    expect(decodeFrame(json({ id: '1', type: 'ping', data: { a: 1 } }), false)).toEqual({ ok: true, frame: { id: '1', type: 'ping', data: { a: 1 } } });
  });

  it('reads MessagePack frames', () => {
    expect(decodeFrame(pack({ id: 'm', type: 'ping', data: { n: [1, -2, 1.5, 'é', null, true, { k: 2 ** 40 }] } }), true)).toEqual({
      ok: true,
      frame: { id: 'm', type: 'ping', data: { n: [1, -2, 1.5, 'é', null, true, { k: 2 ** 40 }] } },
    });
  });

  it.each([
    ['{nope', 'frame is not valid JSON', undefined],
    ['[1,2]', 'frame must be an object', undefined],
    ['null', 'frame must be an object', undefined],
    ['"str"', 'frame must be an object', undefined],
    [JSON.stringify({ id: 5, type: 'ping' }), 'id must be a string of 1 to 64 characters', undefined],
    [JSON.stringify({ id: 'x'.repeat(65), type: 'ping' }), 'id must be a string of 1 to 64 characters', undefined],
    [JSON.stringify({ id: 'a' }), 'type is required', 'a'],
    [JSON.stringify({ id: 'a', type: 7 }), 'type is required', 'a'],
  ])('rejects %s', (raw, message, id) => {
    expect(decodeFrame(json(raw), false)).toEqual({ ok: false, message, ...(id ? { id } : {}) });
  });

  it('rejects garbage MessagePack', () => {
    expect(decodeFrame(Buffer.from([0xc1, 0xff, 0x00]), true)).toMatchObject({ ok: false });
  });

  it('rejects nesting deeper than 32 levels, keeping the id for the reply', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 40; i++) deep = [deep];
    expect(decodeFrame(json({ id: 'd', type: 'room.broadcast', data: deep }), false)).toMatchObject({ ok: false, id: 'd' });
    expect(decodeFrame(pack({ id: 'd', type: 'room.broadcast', data: deep }), true)).toEqual({ ok: false, id: 'd', message: 'data is nested deeper than 32 levels' });
    expect(overLimits({ a: { b: { c: 1 } } }, LIMITS)).toBeUndefined();
  });

  it('accepts exactly the depth limit in both encodings', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 32; i++) deep = [deep];
    expect(decodeFrame(json({ id: 'd', type: 'x', data: deep }), false)).toMatchObject({ ok: true });
    expect(decodeFrame(pack({ id: 'd', type: 'x', data: deep }), true)).toMatchObject({ ok: true });
  });
});

describe('MessagePack hardening (issue 10)', () => {
  it('refuses structured-clone references before expanding them (the reference bomb)', () => {
    const bomb = referenceBomb(6, 10, new Packr({ structuredClone: true }));
    // 10^6 leaves behind a frame of a few hundred bytes: the default decoder builds the shared graph.
    expect(bomb.length).toBeLessThan(1024);
    expect((unpack(bomb) as { data: { data: unknown[] } }).data.data).toHaveLength(10);
    // msgpackr wraps such a document in a record extension: not even its id is read.
    expect(decodeFrame(bomb, true)).toEqual({ ok: false, message: 'MessagePack extension types are not allowed' });
    expect(peekId(bomb, true)).toBeUndefined();
  });

  it('refuses msgpackr records and structures', () => {
    const records = new Packr({ useRecords: true }).pack({ id: 'rec', type: 'ping', data: [{ a: 1, b: 2 }, { a: 3, b: 4 }] });
    expect(decodeFrame(records, true)).toMatchObject({ ok: false, message: 'MessagePack extension types are not allowed' });
  });

  it.each([
    ['Date (timestamp extension)', new Date(0), 'MessagePack extension types are not allowed'],
    ['Map with a number key', new Map([[1, 2]]), 'map keys must be strings'],
    ['Buffer (binary)', Buffer.from('bin'), 'binary values are not allowed'],
    ['typed array', new Uint16Array([1, 2]), 'MessagePack extension types are not allowed'],
    ['Set', new Set([1]), 'MessagePack extension types are not allowed'],
    ['BigInt beyond 2^53', 2n ** 60n, 'integer out of range (beyond ±2^53)'],
    ['negative BigInt beyond -2^53', -(2n ** 60n), 'integer out of range (beyond ±2^53)'],
    ['undefined', undefined, 'MessagePack extension types are not allowed'],
  ])('refuses %s with a typed message and the frame id', (_name, value, message) => {
    const frame = new Packr({ useRecords: false, moreTypes: true }).pack({ id: 'typed', type: 'room.broadcast', data: { roomId: 'r1', data: { v: value } } });
    expect(decodeFrame(frame, true)).toEqual({ ok: false, id: 'typed', message });
  });

  it('reads 64-bit integers within ±2^53 as numbers, never BigInt', () => {
    const int64 = (v: bigint, code: 0xcf | 0xd3) => {
      const b = Buffer.alloc(9);
      b[0] = code;
      if (code === 0xcf) b.writeBigUInt64BE(v, 1);
      else b.writeBigInt64BE(v, 1);
      return b;
    };
    // fixmap(3) "id":"n" "type":"ping" "data": <int64>
    const frame = (v: Buffer) => Buffer.concat([Buffer.from([0x83]), pack('id'), pack('n'), pack('type'), pack('ping'), pack('data'), v]);
    expect(decodeFrame(frame(int64(2n ** 53n - 1n, 0xcf)), true)).toEqual({ ok: true, frame: { id: 'n', type: 'ping', data: 2 ** 53 - 1 } });
    expect(decodeFrame(frame(int64(-5n, 0xd3)), true)).toEqual({ ok: true, frame: { id: 'n', type: 'ping', data: -5 } });
    expect(decodeFrame(frame(int64(2n ** 53n, 0xcf)), true)).toMatchObject({ ok: false, id: 'n', message: 'integer out of range (beyond ±2^53)' });
  });

  it('refuses headers that promise more entries than there are bytes, without allocating them', () => {
    const hugeMap = Buffer.from([0xdf, 0xff, 0xff, 0xff, 0xff, 0xa1, 0x61, 0x01]);
    const hugeArray = Buffer.from([0xdd, 0x7f, 0xff, 0xff, 0xff, 0x01]);
    const hugeString = Buffer.from([0xdb, 0xff, 0xff, 0xff, 0xff, 0x61]);
    for (const b of [hugeMap, hugeArray, hugeString]) expect(decodeFrame(b, true)).toEqual({ ok: false, message: 'frame is not valid MessagePack (truncated)' });
  });

  it('counts values against the budget before decoding (huge maps)', () => {
    const data = Object.fromEntries(Array.from({ length: 6000 }, (_, i) => [`k${i}`, i]));
    expect(decodeFrame(pack({ id: 'wide', type: 'room.broadcast', data }), true)).toEqual({ ok: false, id: 'wide', message: 'data has more than 10000 values' });
    expect(decodeFrame(json({ id: 'wide', type: 'room.broadcast', data }), false)).toEqual({ ok: false, id: 'wide', message: 'data has more than 10000 values' });
    expect(decodeFrame(pack({ id: 'ok', type: 'x', data: Array.from({ length: 9000 }, (_, i) => i) }), true)).toMatchObject({ ok: true });
  });

  it('walks a 100 000-level nesting iteratively and refuses it', () => {
    const deep = Buffer.concat([Buffer.alloc(100_000, 0x91), Buffer.from([0x01])]);
    expect(() => scanMsgpack(deep, LIMITS)).toThrow('nested deeper than 32 levels');
  });

  it('refuses bytes after the value', () => {
    expect(decodeFrame(Buffer.concat([pack({ id: 'a', type: 'ping' }), Buffer.from([0x01])]), true)).toEqual({ ok: false, id: 'a', message: 'frame has bytes after the MessagePack value' });
  });

  it('reads binary frames on a JSON connection as JSON, never as MessagePack', () => {
    expect(decodeFrame(pack({ id: 'p', type: 'ping' }), false)).toEqual({ ok: false, message: 'frame is not valid JSON' });
  });
});

describe('peekId', () => {
  it('reads the top-level id only, the last one winning, without decoding data', () => {
    expect(peekId(json('{"type":"ping","data":{"id":"inner"},"id":"outer"}'), false)).toBe('outer');
    expect(peekId(json('{"id":"first","type":"ping","id":"last"}'), false)).toBe('last');
    expect(peekId(json('{"data":[1,"]",{"a":"}"}],"id":"esc\\"aped"}'), false)).toBe('esc"aped');
    expect(peekId(json('{"data":"x","id":5}'), false)).toBeUndefined();
    expect(peekId(json('{"id":"' + 'x'.repeat(65) + '"}'), false)).toBeUndefined();
    expect(peekId(json('[{"id":"a"}]'), false)).toBeUndefined();
    expect(peekId(pack({ data: { id: 'inner' }, id: 'outer' }), true)).toBe('outer');
    // Extensions inside a map are skipped, never run.
    expect(peekId(Buffer.concat([Buffer.from([0x82]), pack('data'), Buffer.from([0xd4, 0x70, 0x01]), pack('id'), pack('x')]), true)).toBe('x');
    expect(peekId(Buffer.from([0x81, 0xa2, 0x69, 0x64]), true)).toBeUndefined();
  });
});
