import { Id, ParticipantViewSchema, RoomViewSchema, Text } from '@switchboard/protocol';
import { z } from 'zod';

export const RoomParams = z.object({ roomId: Id });

export const ListRoomsQuery = z.object({
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  includeClosed: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
});

export const RemoveUserBody = z.object({ userId: Id, reason: Text(0, 500).optional() });

/**
 * The client protocol's room object (packages/protocol views, docs/protocol.md) as the admin API
 * has it over gRPC: without `replayEphemeral`, plus `closed`. Derived, so the two cannot drift.
 */
export const RoomSchema = z.object(RoomViewSchema.omit({ replayEphemeral: true }).shape).extend({
  createdAt: z.number().int().describe('milliseconds since the Unix epoch'),
  closed: z.boolean(),
});

/** The client protocol's participant object, plus the gateway replica holding the connection. */
export const ParticipantSchema = z.object(ParticipantViewSchema.shape).extend({ nodeId: z.string() });

export const RoomPage = z.object({ rooms: z.array(RoomSchema), nextCursor: z.string().nullable() });
export const RoomDetail = z.object({ room: RoomSchema, participants: z.array(ParticipantSchema) });
export const ParticipantList = z.object({ participants: z.array(ParticipantSchema) });
export const RoomClosed = z.object({ roomId: z.string(), closed: z.literal(true) });
export const UserRemoved = z.object({ roomId: z.string(), userId: z.string(), removed: z.enum(['kicked', 'banned']) });

export type RoomOut = z.output<typeof RoomSchema>;
export type ParticipantOut = z.output<typeof ParticipantSchema>;
