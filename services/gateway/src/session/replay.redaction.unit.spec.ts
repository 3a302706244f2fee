import { describe, expect, it } from 'vitest';
import type { DeliveredEvent } from '../connections/connection.js';
import { redactSuperseded } from './replay.redaction.js';

let seq = 0;
const ev = (type: string, data: unknown): DeliveredEvent => ({ type, roomId: 'r', seq: ++seq, ts: 1, dataJson: JSON.stringify(data), excludeConnectionId: '', onlyConnectionIds: [] });
const msg = (id: string, text: string, extra: object = {}) => ({ id, roomId: 'r', userId: 'u', text, clientMsgId: id, attachments: [{ name: `${text}.png` }], createdAt: 1, deleted: false, reactions: {}, pinned: false, ...extra });

describe('redactSuperseded', () => {
  it('shows a later deleted message as deleted and a later edited one with its last text only', () => {
    const events = [
      ev('chat.message', { message: msg('m1', 'first draft') }),
      ev('chat.message', { message: msg('m2', 'oops secret') }),
      ev('chat.edited', { message: msg('m1', 'second draft', { editedAt: 5 }) }),
      ev('chat.message', { message: msg('m3', 'kept') }),
      ev('chat.deleted', { messageId: 'm2' }),
      ev('chat.edited', { message: msg('m1', 'final', { editedAt: 9, attachments: [] }) }),
    ];
    // Frames built for the original body (a copy from the room tail carries them) must go with it.
    Object.assign(events[1]!, { frame: 'stale', packed: Buffer.from('stale'), wire: { text: Buffer.from('stale') } });
    redactSuperseded(events);
    expect(events[1]).toMatchObject({ frame: undefined, packed: undefined, wire: undefined });
    const out = events.map((e) => JSON.parse(e.dataJson));
    expect(out[0].message).toMatchObject({ id: 'm1', text: 'final', attachments: [], editedAt: 9 });
    expect(out[1].message).toMatchObject({ id: 'm2', text: '', attachments: [], deleted: true });
    expect(out[2].message).toMatchObject({ id: 'm1', text: 'final', editedAt: 9 });
    expect(out[3].message).toMatchObject({ id: 'm3', text: 'kept', attachments: [{ name: 'kept.png' }] });
    expect(out[5].message).toMatchObject({ text: 'final' });
    const all = events.map((e) => e.dataJson).join();
    for (const gone of ['first draft', 'second draft', 'oops secret']) expect(all).not.toContain(gone);
  });

  it('leaves replays without edits or deletes untouched', () => {
    const events = [ev('chat.message', { message: msg('m9', 'hello') }), ev('room.broadcast', { data: { x: 1 } })];
    const before = events.map((e) => e.dataJson);
    redactSuperseded(events);
    expect(events.map((e) => e.dataJson)).toEqual(before);
  });
});
