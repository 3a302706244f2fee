import type * as proto from '@switchboard/proto';
import type { ParticipantView, RoomView } from '@switchboard/protocol';
import type { LiveParticipant } from './participants.store.js';
import type { Room, RoomCursor } from './rooms.store.js';

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
    replayEphemeral: room.replayEphemeral,
  };
}

export function toProtoRoom(room: Room, participantCount: number): proto.rooms.Room {
  const { replayEphemeral: _replay, metadata, ...view } = toRoomView(room, participantCount);
  return { ...view, metadataJson: JSON.stringify(metadata), closed: room.closedAt !== null };
}

export function toParticipantView(p: LiveParticipant): ParticipantView {
  return { userId: p.userId, connectionId: p.connectionId, name: p.name, role: p.role, muted: p.muted, joinedAt: p.joinedAt };
}

/** Opaque participants cursor: the last participant's (joinedAt, connectionId). */
export function encodeParticipantCursor(p: { joinedAt: number; connectionId: string }): string {
  return Buffer.from(`${p.joinedAt}:${p.connectionId}`).toString('base64url');
}

export function decodeParticipantCursor(cursor: string): { joinedAt: number; connectionId: string } | undefined {
  const m = /^(\d{1,15}):([A-Za-z0-9_-]{1,64})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return m ? { joinedAt: Number(m[1]), connectionId: m[2] } : undefined;
}

/** Participants after a cursor, in the stored order (joinedAt, then connectionId). */
export function afterParticipantCursor<P extends { joinedAt: number; connectionId: string }>(list: P[], after?: { joinedAt: number; connectionId: string }): P[] {
  if (!after) return list;
  return list.filter((p) => p.joinedAt > after.joinedAt || (p.joinedAt === after.joinedAt && p.connectionId > after.connectionId));
}

/** Opaque page cursor: the last room's (createdAt, id). */
export function encodeRoomCursor(room: { createdAt: Date; id: string }): string {
  return Buffer.from(`${room.createdAt.getTime()}:${room.id}`).toString('base64url');
}

export function decodeRoomCursor(cursor: string): RoomCursor | undefined {
  const m = /^(\d{1,15}):([A-Za-z0-9_-]{1,64})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return m ? { createdAt: new Date(Number(m[1])), id: m[2] } : undefined;
}
