import { Injectable } from '@nestjs/common';
import { newId, RoomEventsPublisher, type Caller } from '@switchboard/platform';
import { badRequest, conflict, forbidden, notFound, type CommandData } from '@switchboard/protocol';
import { ModerationService } from '../moderation/moderation.service.js';
import { RoomsService } from '../rooms/rooms.service.js';
import { RoomRecords } from '../rooms/room-records.service.js';
import { ApprovalsStore } from './approvals.store.js';

/** Join requests for approval rooms: request, then an owner or moderator decides. */
@Injectable()
export class ApprovalsService {
  constructor(
    private readonly rooms: RoomsService,
    private readonly roomsStore: RoomRecords,
    private readonly moderation: ModerationService,
    private readonly store: ApprovalsStore,
    private readonly events: RoomEventsPublisher,
  ) {}

  async request(caller: Caller, data: CommandData<'room.request_join'>): Promise<{ requestId: string }> {
    const room = await this.rooms.openRoom(data.roomId);
    if (room.joinPolicy !== 'approval' && room.visibility !== 'private') throw badRequest('this room is open: send room.join');
    if (await this.moderation.isBanned(room.id, caller.userId)) throw forbidden('you are banned from this room');
    if (await this.roomsStore.member(room.id, caller.userId)) throw conflict('already a member: send room.join');
    // Asking twice keeps one pending request (and notifies staff once).
    const pending = await this.store.pendingOf(room.id, caller.userId);
    if (pending) return { requestId: pending.id };
    const req = await this.store.create({ id: newId('jr'), roomId: room.id, userId: caller.userId, userName: caller.name || caller.userId, message: data.message });
    const event = { requestId: req.id, user: { userId: caller.userId, name: req.userName }, ...(data.message ? { message: data.message } : {}) };
    for (const staff of await this.roomsStore.staff(room.id)) this.events.toUser(staff.userId, 'room.join_requested', event, room.id);
    return { requestId: req.id };
  }

  approve(caller: Caller, data: CommandData<'room.approve'>): Promise<Record<string, never>> {
    return this.decide(caller, data.roomId, data.requestId, 'approved');
  }

  reject(caller: Caller, data: CommandData<'room.reject'>): Promise<Record<string, never>> {
    return this.decide(caller, data.roomId, data.requestId, 'rejected');
  }

  private async decide(caller: Caller, roomId: string, requestId: string, status: 'approved' | 'rejected'): Promise<Record<string, never>> {
    await this.rooms.requireRole(roomId, caller.userId, ['owner', 'moderator']);
    const req = await this.store.decide(roomId, requestId, status, caller.userId);
    if (!req) throw notFound('no pending request with this id');
    this.events.toUser(req.userId, status === 'approved' ? 'room.join_approved' : 'room.join_rejected', { roomId, requestId }, roomId);
    return {};
  }
}
