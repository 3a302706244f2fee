import type { rooms } from '@switchboard/proto';
import type { ParticipantOut, RoomOut } from './rooms.schemas.js';

/** gRPC room → the client protocol's room object (metadata parsed from `metadataJson`) plus `closed`. */
export function toRoomOut({ metadataJson, ...room }: rooms.Room): RoomOut {
  return { ...room, kind: room.kind as RoomOut['kind'], joinPolicy: room.joinPolicy as RoomOut['joinPolicy'], visibility: room.visibility as RoomOut['visibility'], metadata: parseMetadata(metadataJson) };
}

export function toParticipantOut(p: rooms.Participant): ParticipantOut {
  return { ...p, role: p.role as ParticipantOut['role'] };
}

/** The application's JSON object; anything else (empty, malformed, not an object) reads as {}. */
export function parseMetadata(json: string): Record<string, unknown> {
  if (!json) return {};
  try {
    const v: unknown = JSON.parse(json);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
