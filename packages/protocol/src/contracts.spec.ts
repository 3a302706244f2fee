import { describe, expect, it } from 'vitest';
import { checkEvent, checkReply, ContractError, contractChecksEnabled } from './contracts.js';
import { EVENTS } from './events.js';
import { COMMANDS, INTERNAL_COMMANDS, type Reply } from './registry.js';

const room = { id: 'r1', name: 'n', description: '', kind: 'group' as const, joinPolicy: 'open' as const, visibility: 'public' as const, ownerId: 'u1', maxParticipants: 10, participantCount: 1, createdAt: 1, metadata: {}, replayEphemeral: false };
const participant = { userId: 'u1', connectionId: 'c1', name: 'U', role: 'owner' as const, muted: false, joinedAt: 1 };

describe('reply and event contracts', () => {
  it('every verb has a reply schema and every event a family and schema', () => {
    for (const [verb, spec] of Object.entries(COMMANDS)) expect(spec.reply, verb).toBeDefined();
    for (const [service, verbs] of Object.entries(INTERNAL_COMMANDS)) for (const [verb, spec] of Object.entries(verbs)) expect(spec.reply, `${service}.${verb}`).toBeDefined();
    for (const [type, spec] of Object.entries(EVENTS)) expect(spec.on.length, type).toBeGreaterThan(0);
  });

  it('runs in test mode (vitest sets NODE_ENV=test); production skips the checks', () => {
    expect(contractChecksEnabled()).toBe(true);
    const before = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      expect(contractChecksEnabled()).toBe(false);
    } finally {
      process.env.NODE_ENV = before;
    }
  });

  it('accepts the documented room.create reply and rejects the drifts a client found (missing seq, undocumented fields)', () => {
    const reply: Reply<'room.create'> = { room, participants: [participant], participantsCursor: null, seq: 3 };
    expect(() => checkReply('rooms', 'room.create', reply)).not.toThrow();
    const { seq: _seq, ...withoutSeq } = reply;
    expect(() => checkReply('rooms', 'room.create', withoutSeq)).toThrow(ContractError);
    expect(() => checkReply('rooms', 'room.create', { ...reply, secret: 1 })).toThrow(/Unrecognized key/);
    expect(() => checkReply('rooms', 'room.create', { ...reply, room: { ...room, kind: 'mesh' } })).toThrow(/room.kind/);
  });

  it('checks internal replies by service: rooms session.resume must carry previousConnectionId as a string', () => {
    expect(() => checkReply('rooms', 'session.resume', { rooms: { r1: { status: 'resumed', seq: 4, previousConnectionId: 'c0', joinSeq: 1 } } })).not.toThrow();
    expect(() => checkReply('rooms', 'session.resume', { rooms: { r1: { status: 'resumed', seq: 4, previousConnectionId: 7 } } })).toThrow(/previousConnectionId/);
    expect(() => checkReply('rooms', 'session.resume', { rooms: { r1: { status: 'gone', seq: 4, reason: 'seat_expired' } } })).not.toThrow();
    // The client verb of the same name answers something else.
    expect(() => checkReply('gateway', 'session.resume', { replayed: 2 })).not.toThrow();
    expect(() => checkReply('media', 'room.join', {})).toThrow(/no such verb/);
  });

  it('checks events: schema, subject family, and unknown types', () => {
    expect(() => checkEvent('chat.reaction', { messageId: 'm', emoji: '👍', userId: 'u', on: true }, 'room')).not.toThrow();
    expect(() => checkEvent('chat.reaction', { message: {} }, 'room')).toThrow(/messageId/);
    expect(() => checkEvent('presence.changed', { userId: 'u', status: 'offline', lastSeen: 1, devices: [] }, 'presence')).not.toThrow();
    expect(() => checkEvent('presence.changed', { userId: 'u', status: 'gone', lastSeen: 1, devices: [] }, 'presence')).toThrow(/status/);
    expect(() => checkEvent('room.removed', { roomId: 'r', reason: 'kicked' }, 'room')).toThrow(/travels on user, not room/);
    expect(() => checkEvent('room.nope', {})).toThrow(/not in EVENTS/);
  });

  it('derives the envelope control data from the event', () => {
    expect(EVENTS['room.participant_left'].control?.({ userId: 'u', connectionId: 'c', reason: 'left' })).toEqual({ leaveConnectionId: 'c' });
    expect(EVENTS['room.closed'].control?.({ roomId: 'r' })).toEqual({ roomClosed: true });
  });
});
