import { z } from 'zod';
import { Id, Json, LIMITS, maxJsonBytes, Text } from './common.js';
import { Empty, JoinReplySchema, ParticipantViewSchema, RoomGetReplySchema, RoomViewSchema, ROLES } from './views.js';

const RoomKind = z.enum(['p2p', 'sfu', 'group']);
const JoinPolicy = z.enum(['open', 'approval']);
const Role = z.enum(ROLES);
const RoomRef = z.object({ roomId: Id });
const Target = z.object({ roomId: Id, userId: Id, reason: Text(0, 500).optional() });

export const rooms = {
  'room.create': {
    service: 'rooms', reply: JoinReplySchema,
    doc: 'Creates a room; the creator becomes its owner and joins it.',
    schema: z.object({
      name: Text(1, 200),
      description: Text(0, 2000).optional(),
      kind: RoomKind,
      joinPolicy: JoinPolicy,
      visibility: z.enum(['public', 'private']).optional(),
      maxParticipants: z.number().int().min(1).max(100000).optional(),
      metadata: Json.optional(),
      replayEphemeral: z.boolean().optional(),
    }),
  },
  'room.join': { service: 'rooms', reply: JoinReplySchema, doc: 'Joins an open room, or an approval room once approved.', schema: RoomRef },
  'room.request_join': {
    service: 'rooms', reply: z.strictObject({ requestId: Id }),
    doc: 'Asks to join an approval room; owners and moderators get `room.join_requested`.',
    schema: z.object({ roomId: Id, message: Text(0, 500).optional() }),
  },
  'room.approve': { service: 'rooms', reply: Empty, doc: 'Approves a join request (owner/moderator).', schema: z.object({ roomId: Id, requestId: Id }) },
  'room.reject': { service: 'rooms', reply: Empty, doc: 'Rejects a join request (owner/moderator).', schema: z.object({ roomId: Id, requestId: Id }) },
  'room.leave': { service: 'rooms', reply: z.strictObject({ seq: z.number().int().min(0) }), doc: 'Leaves a room.', schema: RoomRef },
  'room.list': {
    service: 'rooms', reply: z.strictObject({ rooms: z.array(RoomViewSchema), nextCursor: z.string().nullable(), hasMore: z.boolean() }),
    doc: 'Public rooms plus rooms the user belongs to, paged by count and size (`hasMore`, `nextCursor`).',
    schema: z.object({ cursor: Text(0, 200).optional(), limit: z.number().int().min(1).max(100).optional() }),
  },
  'room.get': {
    service: 'rooms', reply: RoomGetReplySchema,
    doc: 'A room and its live participants (the first page by size; `participantsCursor` continues with `room.participants`).',
    schema: RoomRef,
  },
  'room.participants': {
    service: 'rooms', reply: z.strictObject({ participants: z.array(ParticipantViewSchema), nextCursor: z.string().nullable(), hasMore: z.boolean() }),
    doc: 'Pages the live participants of a room (after `cursor`, at most `limit` and a byte budget).',
    schema: z.object({ roomId: Id, cursor: Text(0, 200).optional(), limit: z.number().int().min(1).max(1000).optional() }),
  },
  'room.update': {
    service: 'rooms', reply: z.strictObject({ room: RoomViewSchema }),
    doc: 'Updates room settings (owner/moderator). `kind` cannot change.',
    schema: z.object({
      roomId: Id,
      name: Text(1, 200).optional(),
      description: Text(0, 2000).optional(),
      joinPolicy: JoinPolicy.optional(),
      maxParticipants: z.number().int().min(1).max(100000).optional(),
      metadata: Json.optional(),
      replayEphemeral: z.boolean().optional(),
    }),
  },
  'room.kick': { service: 'rooms', reply: Empty, doc: 'Removes a user (owner/moderator).', schema: Target },
  'room.ban': { service: 'rooms', reply: Empty, doc: 'Removes a user and bars them from rejoining.', schema: Target },
  'room.unban': { service: 'rooms', reply: Empty, doc: 'Lifts a ban.', schema: Target },
  'room.set_role': { service: 'rooms', reply: Empty, doc: 'Changes a member role.', schema: z.object({ roomId: Id, userId: Id, role: Role }) },
  'room.mute': { service: 'rooms', reply: Empty, doc: 'Mutes or unmutes a participant.', schema: z.object({ roomId: Id, userId: Id, muted: z.boolean() }) },
  'room.broadcast': {
    service: 'rooms', reply: Empty,
    doc: 'Sends opaque data (at most 16 KiB as JSON) to the other members; not kept for resume unless the room opts in (`replayEphemeral`).',
    schema: z.object({ roomId: Id, data: z.unknown().refine(...maxJsonBytes(LIMITS.broadcastBytes)) }),
  },
  'room.close': { service: 'rooms', reply: Empty, doc: 'Closes the room (owner).', schema: RoomRef },
} as const;

export const floor = {
  'floor.request': {
    service: 'rooms',
    reply: z.strictObject({ expiresAt: z.number().int(), talkId: Id }),
    doc: 'Takes the push-to-talk floor or fails with `floor_busy`; asking again while holding it refreshes the lease. `talkId` names the talk spurt for `ptt.audio` (it stays the same while the lease is refreshed).',
    schema: RoomRef,
  },
  'floor.release': { service: 'rooms', reply: Empty, doc: 'Releases the floor.', schema: RoomRef },
} as const;
