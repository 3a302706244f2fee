import type { ParticipantView, RoomView } from '@switchboard/protocol';
import type { LiveParticipant } from './participants.store.js';
import type { Room } from './rooms.store.js';

/** Pure mappings from storage rows to protocol shapes. */
export function toRoomView(room: Room, participantCount: number): RoomView {
  return {
    id: room.id,
    name: room.name,
    description: room.description,
    kind: room.kind as RoomView['kind'],
    joinPolicy: room.joinPolicy as RoomView['joinPolicy'],
    visibility: room.visibility as RoomView['visibility'],
    ownerId: room.ownerId,
    maxParticipants: room.maxParticipants,
    participantCount,
    createdAt: room.createdAt.getTime(),
    metadata: (room.metadata ?? {}) as Record<string, unknown>,
  };
}

export function toParticipantView(p: LiveParticipant): ParticipantView {
  return { userId: p.userId, connectionId: p.connectionId, name: p.name, role: p.role, muted: p.muted, joinedAt: p.joinedAt };
}
