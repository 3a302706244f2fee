import { describe, expect, it } from 'vitest';
import { parseMetadata, toRoomOut } from './rooms.view.js';

describe('admin room view', () => {
  it('parses metadataJson into the protocol room object; anything but a JSON object reads as {}', () => {
    expect(parseMetadata('{"a":1}')).toEqual({ a: 1 });
    for (const bad of ['', 'nope', '[1]', 'null', '3']) expect(parseMetadata(bad)).toEqual({});
    const room = { id: 'r1', name: 'n', description: '', kind: 'sfu', joinPolicy: 'approval', visibility: 'private', ownerId: 'u1', maxParticipants: 5, participantCount: 2, createdAt: 7, metadataJson: '{"x":true}', closed: false };
    expect(toRoomOut(room)).toEqual({ id: 'r1', name: 'n', description: '', kind: 'sfu', joinPolicy: 'approval', visibility: 'private', ownerId: 'u1', maxParticipants: 5, participantCount: 2, createdAt: 7, metadata: { x: true }, closed: false });
  });
});
