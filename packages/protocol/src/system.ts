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

/** Topic of `sb.sys.attestation.policy`: attestation's notice that a platform's version policy changed. */
export const ATTESTATION_POLICY_CHANGED = 'attestation.policy';
/** Body of `sb.sys.attestation.policy`: every gateway refetches that platform's policy. */
export const AttestationPolicyChanged = z.object({ platform: z.string().max(32) });
export type AttestationPolicyChanged = z.output<typeof AttestationPolicyChanged>;

/**
 * `sb.cmd.rooms.session.resume` (internal verb, gateway → rooms): move the seats of a
 * vanished connection of the caller's session to the caller's new connection. The client's
 * own `session.resume` frame has the same shape.
 */
export const RoomsResumeRequest = z.object({
  sessionId: z.string().min(1).max(64),
  rooms: z.record(Id, z.number().int().min(0)).refine((r) => Object.keys(r).length <= 100, 'at most 100 rooms'),
});
export type RoomsResumeRequest = z.output<typeof RoomsResumeRequest>;

/** Per room: whether the seat moved, the room's current seq, and what replay needs. */
export const RoomResumeState = z.object({
  status: z.enum(['resumed', 'gone']),
  /** The room's seq when the seat moved: replay covers (from, seq], live events follow. */
  seq: z.number().int().min(0),
  /** The connection the seat moved from (when resumed): replay delivers what was addressed to it and skips what excluded it. */
  previousConnectionId: Id.optional(),
  /** The room's seq when the seat was taken (when resumed): replay never starts at or before it. */
  joinSeq: z.number().int().min(0).optional(),
});
export type RoomResumeState = z.output<typeof RoomResumeState>;

/** Reply of `sb.cmd.rooms.session.resume`; the gateway validates it with this schema. */
export const RoomsResumeReply = z.object({ rooms: z.record(Id, RoomResumeState) });
export type RoomsResumeReply = z.output<typeof RoomsResumeReply>;

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
