import { Injectable } from '@nestjs/common';
import { RoomEventsPublisher, type Caller } from '@switchboard/platform';
import { badRequest, forbidden, notFound, type CommandData } from '@switchboard/protocol';
import { FloorLeases, talkOf } from '../floor/floor-leases.service.js';
import { RoomRecords } from '../rooms/room-records.service.js';
import { RoomSeats } from '../rooms/room-seats.service.js';
import { RoomsService, type Role } from '../rooms/rooms.service.js';
import type { Member } from '../rooms/rooms.store.js';
import { ModerationStore } from './moderation.store.js';

type Ok = Record<string, never>;

/** Kick, ban, roles and mutes. Owners act on anyone but themselves; moderators on members only. */
@Injectable()
export class ModerationService {
  constructor(
    private readonly rooms: RoomsService,
    private readonly roomsStore: RoomRecords,
    private readonly store: ModerationStore,
    private readonly participants: RoomSeats,
    private readonly floor: FloorLeases,
    private readonly events: RoomEventsPublisher,
  ) {}

  async kick(caller: Caller, data: CommandData<'room.kick'>): Promise<Ok> {
    await this.authorizeOver(caller, data.roomId, data.userId);
    await this.removeUser(data.roomId, data.userId, 'kicked', data.reason);
    return {};
  }

  async ban(caller: Caller, data: CommandData<'room.ban'>): Promise<Ok> {
    await this.authorizeOver(caller, data.roomId, data.userId);
    await this.removeUser(data.roomId, data.userId, 'banned', data.reason, caller.userId);
    return {};
  }

  async unban(caller: Caller, data: CommandData<'room.unban'>): Promise<Ok> {
    await this.rooms.requireRole(data.roomId, caller.userId, ['owner', 'moderator']);
    if (!(await this.store.unban(data.roomId, data.userId))) throw notFound('user is not banned');
    return {};
  }

  isBanned(roomId: string, userId: string): Promise<boolean> {
    return this.store.isBanned(roomId, userId);
  }

  async setRole(caller: Caller, data: CommandData<'room.set_role'>): Promise<Ok> {
    await this.rooms.requireRole(data.roomId, caller.userId, ['owner']);
    if (data.userId === caller.userId) throw badRequest('the owner keeps their role; give role owner to another member to hand over');
    const target = await this.roomsStore.member(data.roomId, data.userId);
    if (!target) throw notFound('user is not a member of this room');
    if (target.role === data.role) return {};
    if (data.role === 'owner') {
      await this.store.transferOwnership(data.roomId, caller.userId, data.userId);
      await this.roleChanged(data.roomId, data.userId, 'owner');
      await this.roleChanged(data.roomId, caller.userId, 'moderator');
    } else {
      await this.store.setRole(data.roomId, data.userId, data.role);
      await this.roleChanged(data.roomId, data.userId, data.role);
    }
    return {};
  }

  async mute(caller: Caller, data: CommandData<'room.mute'>): Promise<Ok> {
    const target = await this.authorizeOver(caller, data.roomId, data.userId, true);
    if (!target) throw notFound('user is not a member of this room');
    // Staff may mute themselves and undo that, but not lift a mute someone else imposed.
    const self = data.userId === caller.userId;
    if (self && !data.muted && target.muted && target.mutedBy !== caller.userId) throw forbidden('you were muted by a moderator; only another moderator or the owner can unmute you');
    // Muting oneself again keeps an imposed mute imposed.
    const by = self && data.muted && target.muted ? (target.mutedBy ?? caller.userId) : caller.userId;
    await this.store.setMuted(data.roomId, data.userId, data.muted, by);
    await this.participants.patchUser(data.roomId, data.userId, { muted: data.muted });
    await this.events.toRoom(data.roomId, 'room.participant_muted', { userId: data.userId, muted: data.muted });
    // The media service enforces it in LiveKit (tracks muted, canPublish off/on).
    this.rooms.accessChanged({ roomId: data.roomId, change: data.muted ? 'mute' : 'unmute', userId: data.userId });
    if (data.muted) {
      const released = await this.floor.releaseIf(data.roomId, { userId: data.userId });
      if (released) {
        await this.events.toRoom(data.roomId, 'floor.released', { userId: data.userId, reason: 'released', ...talkOf(released) });
        this.rooms.accessChanged({ roomId: data.roomId, change: 'floor' });
      }
    }
    return {};
  }

  /**
   * Ends a user's presence and membership in a room and tells everyone: participant_left per
   * connection on the room, room.removed to the user. Also the admin API's RemoveUser.
   */
  async removeUser(roomId: string, userId: string, reason: 'kicked' | 'banned', message?: string, by = 'admin'): Promise<void> {
    await this.rooms.openRoom(roomId);
    // A room always has its owner: removing them (the admin API's path; clients are stopped
    // earlier by authorizeOver) would leave a room nobody can manage.
    const member = await this.roomsStore.member(roomId, userId);
    if (member?.role === 'owner') throw forbidden('the owner cannot be removed; transfer ownership or close the room');
    // Kicking someone who is neither a member nor seated is a mistake worth saying (a ban may be preemptive).
    if (reason === 'kicked' && !member && !(await this.participants.ofUser(roomId, userId)).length) throw notFound('user is not in this room');
    // Membership (and the ban) first, so the user cannot slip back in while we announce.
    if (reason === 'banned') await this.store.ban(roomId, userId, by, message ?? '');
    else await this.roomsStore.removeMember(roomId, userId);
    const removed = await this.participants.removeUser(roomId, userId);
    await this.rooms.depart(roomId, removed, reason);
    this.events.toUser(userId, 'room.removed', { roomId, reason, ...(message ? { message } : {}) }, roomId);
    this.rooms.accessChanged({ roomId, change: reason === 'banned' ? 'ban' : 'kick', userId, membershipEnded: true });
  }

  /**
   * Checks the caller may act on the target: staff only, never on themselves (unless
   * allowSelf), moderators only on plain members. Returns the target's membership if any.
   */
  private async authorizeOver(caller: Caller, roomId: string, userId: string, allowSelf = false): Promise<Member | null> {
    const { member: actor } = await this.rooms.requireRole(roomId, caller.userId, ['owner', 'moderator']);
    if (userId === caller.userId && !allowSelf) throw badRequest('you cannot do this to yourself');
    const target = await this.roomsStore.member(roomId, userId);
    if (target && userId !== caller.userId && actor.role !== 'owner' && target.role !== 'member') throw forbidden('moderators act on members only');
    return target;
  }

  private async roleChanged(roomId: string, userId: string, role: Role): Promise<void> {
    await this.participants.patchUser(roomId, userId, { role });
    await this.events.toRoom(roomId, 'room.role_changed', { userId, role });
  }
}
