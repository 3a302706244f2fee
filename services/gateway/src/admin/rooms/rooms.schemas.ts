import { Id, Text } from '@switchboard/protocol';
import { z } from 'zod';

export const RoomParams = z.object({ roomId: Id });

export const ListRoomsQuery = z.object({
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  includeClosed: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
});

export const RemoveUserBody = z.object({ userId: Id, reason: Text(0, 500).optional() });

/** The client protocol's room object (docs/protocol.md), plus `closed` for admins. */
export const RoomSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  kind: z.enum(['p2p', 'sfu', 'group']),
  joinPolicy: z.enum(['open', 'approval']),
  visibility: z.enum(['public', 'private']),
  ownerId: z.string(),
  maxParticipants: z.number().int(),
  participantCount: z.number().int(),
  createdAt: z.number().int().describe('milliseconds since the Unix epoch'),
  metadata: z.record(z.string(), z.unknown()),
  closed: z.boolean(),
});

/** The client protocol's participant object, plus the gateway replica holding the connection. */
export const ParticipantSchema = z.object({
  userId: z.string(),
  connectionId: z.string(),
  name: z.string(),
  role: z.enum(['owner', 'moderator', 'member']),
  muted: z.boolean(),
  joinedAt: z.number().int(),
  nodeId: z.string(),
});

export const RoomPage = z.object({ rooms: z.array(RoomSchema), nextCursor: z.string().nullable() });
export const RoomDetail = z.object({ room: RoomSchema, participants: z.array(ParticipantSchema) });
export const ParticipantList = z.object({ participants: z.array(ParticipantSchema) });
export const RoomClosed = z.object({ roomId: z.string(), closed: z.literal(true) });
export const UserRemoved = z.object({ roomId: z.string(), userId: z.string(), removed: z.enum(['kicked', 'banned']) });

export type RoomOut = z.output<typeof RoomSchema>;
export type ParticipantOut = z.output<typeof ParticipantSchema>;
