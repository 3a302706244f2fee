import { describe, expect, it } from 'vitest';
import { checkServerFrame, ContractError } from './contracts.js';

const participant = { userId: 'u1', connectionId: 'c1', name: 'U', role: 'member' as const, muted: false, joinedAt: 1 };

describe('checkServerFrame: a frame as the client receives it', () => {
  it('accepts a documented reply, error and event, and says which it was', () => {
    expect(checkServerFrame({ re: 'a', type: 'ping.ok', data: { ts: 5 } })).toEqual({ kind: 'reply', re: 'a', verb: 'ping' });
    expect(checkServerFrame({ re: 'b', type: 'error', error: { code: 'floor_busy', message: 'busy', holder: 'u2' } })).toEqual({ kind: 'error', re: 'b', code: 'floor_busy' });
    expect(checkServerFrame({ type: 'error', error: { code: 'rate_limited', message: 'slow down', retryAfterMs: 40 } })).toEqual({ kind: 'error', re: undefined, code: 'rate_limited' });
    expect(checkServerFrame({ type: 'room.participant_joined', room: 'r1', seq: 3, ts: 1, data: { participant } })).toEqual({ kind: 'event', type: 'room.participant_joined' });
    expect(checkServerFrame({ type: 'chat.typing', room: 'r1', ts: 1, data: { userId: 'u1', typing: true } })).toEqual({ kind: 'event', type: 'chat.typing' });
  });

  it('fails a deliberately wrong reply: missing field, wrong type, undocumented field, unknown verb', () => {
    expect(() => checkServerFrame({ re: 'a', type: 'ping.ok', data: {} })).toThrow(ContractError);
    expect(() => checkServerFrame({ re: 'a', type: 'ping.ok', data: { ts: 'now' } })).toThrow(/reply ping.ok breaks its contract: ts/);
    expect(() => checkServerFrame({ re: 'a', type: 'ping.ok', data: { ts: 1, extra: true } })).toThrow(/Unrecognized key/);
    expect(() => checkServerFrame({ re: 'a', type: 'room.leave.ok', data: { seq: -1 } })).toThrow(/seq/);
    expect(() => checkServerFrame({ re: 'a', type: 'room.teleport.ok', data: {} })).toThrow(/room.teleport is not a verb/);
    expect(() => checkServerFrame({ re: 'a', type: 'ping', data: { ts: 1 } })).toThrow(/type/);
    expect(() => checkServerFrame({ re: 'a', type: 'ping.ok', data: { ts: 1 }, seq: 1 })).toThrow(/Unrecognized key/);
    expect(() => checkServerFrame({ re: 'x'.repeat(65), type: 'ping.ok', data: { ts: 1 } })).toThrow(/re/);
  });

  it('fails a wrong error: unknown code, missing message, non-positive retryAfterMs', () => {
    expect(() => checkServerFrame({ re: 'a', type: 'error', error: { code: 'oops', message: 'm' } })).toThrow(/error.code/);
    expect(() => checkServerFrame({ type: 'error', error: { code: 'internal' } })).toThrow(/error.message/);
    expect(() => checkServerFrame({ type: 'error', error: { code: 'rate_limited', message: 'm', retryAfterMs: 0 } })).toThrow(/retryAfterMs/);
    expect(() => checkServerFrame({ type: 'error' })).toThrow(/error/);
  });

  it('fails a wrong event: unknown type, bad data, envelope drift, seq on a stream that has none', () => {
    expect(() => checkServerFrame({ type: 'room.exploded', ts: 1, data: {} })).toThrow(/not in EVENTS/);
    expect(() => checkServerFrame({ type: 'room.participant_joined', room: 'r1', seq: 3, ts: 1, data: { participant: { ...participant, role: 'king' } } })).toThrow(/participant.role/);
    expect(() => checkServerFrame({ type: 'chat.typing', room: 'r1', ts: 1, data: { userId: 'u1', typing: true }, extra: 1 })).toThrow(/Unrecognized key/);
    expect(() => checkServerFrame({ type: 'chat.typing', room: 'r1', seq: 9, ts: 1, data: { userId: 'u1', typing: true } })).toThrow(/travels on live, not room/);
    expect(() => checkServerFrame({ type: 'chat.typing', room: 'r1', data: { userId: 'u1', typing: true } })).toThrow(/ts/);
  });

  it('fails what is not a frame', () => {
    for (const frame of [null, 'ping.ok', 42, [], {}, { type: 7 }]) expect(() => checkServerFrame(frame), JSON.stringify(frame)).toThrow(ContractError);
  });
});
