import { pack } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { decodeFrame, tooDeep } from './frame.codec.js';

const json = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));

describe('decodeFrame', () => {
  it('reads the envelope', () => {
    expect(decodeFrame(json({ id: '1', type: 'ping', data: { a: 1 } }), false)).toEqual({ ok: true, frame: { id: '1', type: 'ping', data: { a: 1 } } });
  });

  it('reads MessagePack frames', () => {
    expect(decodeFrame(pack({ id: 'm', type: 'ping' }), true)).toMatchObject({ ok: true, frame: { id: 'm', type: 'ping' } });
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
    expect(tooDeep({ a: { b: { c: 1 } } })).toBe(false);
  });
});
