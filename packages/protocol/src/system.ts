import { z } from 'zod';
import { Id } from './common.js';

/**
 * `sb.sys.conn.gone`: presence's notice that a connection is gone (closed, or its gateway died).
 * Published by presence, consumed by rooms (seats) and media (calls, chunk sources).
 */
export const ConnGone = z.object({
  connectionId: Id,
  userId: Id,
  sessionId: z.string().max(64).default(''),
  nodeId: z.string().max(128).default(''),
  reason: z.string().max(200).default(''),
});
export type ConnGone = z.output<typeof ConnGone>;

/** What changed about a user's (or everyone's) access to a room, as `sb.sys.room.access` carries it. */
export const ROOM_ACCESS_CHANGES = ['mute', 'unmute', 'kick', 'ban', 'leave', 'close'] as const;

/**
 * `sb.sys.room.access`: the rooms service's notice that access to a room changed (a mute, a
 * kick or ban, a connection leaving, the room closing). Published by rooms, consumed by media
 * (one replica each) to enforce it in the SFU and end calls. `userId` is empty for `close`;
 * `connectionId` is set for `leave`; `membershipEnded` when the user is no longer a member.
 */
export const RoomAccessChange = z.object({
  roomId: Id,
  change: z.enum(ROOM_ACCESS_CHANGES),
  userId: z.string().max(64).default(''),
  connectionId: z.string().max(64).default(''),
  membershipEnded: z.boolean().default(false),
});
export type RoomAccessChange = z.output<typeof RoomAccessChange>;
export type RoomAccessChangeInput = z.input<typeof RoomAccessChange>;
