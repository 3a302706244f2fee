import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, newId, type Caller } from '@switchboard/platform';
import type * as proto from '@switchboard/proto';
import { forbidden, notFound, ProtocolError, type CommandData, type ParticipantView, type RoomView } from '@switchboard/protocol';
import type { RoomsConfig } from '../config.js';
import { RoomEventsPublisher } from '../events/room-events.publisher.js';
import { ParticipantsStore, type LiveParticipant } from './participants.store.js';
import { RoomsStore, type Room } from './rooms.store.js';
import { toParticipantView, toRoomView } from './rooms.view.js';

export interface JoinResult {
  room: RoomView;
  participants: ParticipantView[];
  seq: number;
}

@Injectable()
export class RoomsService {
  constructor(
    private readonly rooms: RoomsStore,
    private readonly participants: ParticipantsStore,
    private readonly events: RoomEventsPublisher,
    @Inject(CONFIG) private readonly config: RoomsConfig,
  ) {}

  async create(caller: Caller, data: CommandData<'room.create'>): Promise<JoinResult> {
    const room = await this.rooms.create({
      id: newId('r'),
      name: data.name,
      description: data.description ?? '',
      kind: data.kind,
      joinPolicy: data.joinPolicy,
      visibility: data.visibility ?? 'public',
      ownerId: caller.userId,
      maxParticipants: data.maxParticipants ?? this.config.DEFAULT_MAX_PARTICIPANTS,
      metadata: data.metadata ?? {},
    });
    return this.enter(room, caller, 'owner');
  }

  async join(caller: Caller, data: CommandData<'room.join'>): Promise<JoinResult> {
    const room = await this.openRoom(data.roomId);
    const member = await this.rooms.member(room.id, caller.userId);
    if (room.joinPolicy === 'approval' && !member) throw forbidden('this room requires approval: send room.request_join');
    return this.enter(room, caller, member?.role ?? 'member', member?.muted ?? false);
  }

  async leave(caller: Caller, data: CommandData<'room.leave'>): Promise<{ seq: number }> {
    const removed = await this.participants.remove(data.roomId, caller.connectionId);
    if (!removed) throw notFound('not in this room');
    const stillHere = (await this.participants.list(data.roomId)).some((p) => p.userId === caller.userId);
    if (!stillHere) {
      const room = await this.rooms.findOpen(data.roomId);
      if (room && room.ownerId !== caller.userId) await this.rooms.removeMember(data.roomId, caller.userId);
    }
    const seq = await this.events.toRoom(data.roomId, 'room.participant_left', { userId: caller.userId, connectionId: caller.connectionId, reason: 'left' });
    return { seq };
  }

  async get(caller: Caller, data: CommandData<'room.get'>): Promise<{ room: RoomView; participants: ParticipantView[] }> {
    const room = await this.openRoom(data.roomId);
    if (room.visibility === 'private' && !(await this.rooms.member(room.id, caller.userId))) throw notFound('room not found');
    const list = await this.participants.list(room.id);
    return { room: toRoomView(room, distinctUsers(list)), participants: list.map(toParticipantView) };
  }

  /** Room and live participants in proto shape (gRPC). */
  async adminGet(roomId: string): Promise<{ room: proto.rooms.Room; participants: proto.rooms.Participant[] }> {
    const room = await this.openRoom(roomId);
    const list = await this.participants.list(room.id);
    const view = toRoomView(room, distinctUsers(list));
    return { room: { ...view, metadataJson: JSON.stringify(view.metadata), closed: false }, participants: list };
  }

  async membership(roomId: string, userId: string): Promise<proto.rooms.CheckMembershipResponse> {
    const room = await this.rooms.findOpen(roomId);
    if (!room) throw notFound('room not found');
    const member = await this.rooms.member(roomId, userId);
    return { member: !!member, role: member?.role ?? '', muted: member?.muted ?? false, banned: false, roomKind: room.kind };
  }

  private async openRoom(roomId: string): Promise<Room> {
    const room = await this.rooms.findOpen(roomId);
    if (!room) throw notFound('room not found');
    return room;
  }

  /** Takes a seat (atomically against maxParticipants), records membership, announces it. */
  private async enter(room: Room, caller: Caller, role: string, muted = false): Promise<JoinResult> {
    const participant: LiveParticipant = {
      userId: caller.userId,
      connectionId: caller.connectionId,
      name: caller.name || caller.userId,
      role: role as LiveParticipant['role'],
      muted,
      joinedAt: Date.now(),
      nodeId: caller.nodeId,
    };
    const outcome = await this.participants.add(room.id, participant, room.maxParticipants);
    if (outcome === 'full') throw new ProtocolError('room_full', 'room is full');
    let seq: number;
    if (outcome === 'added') {
      if (role !== 'owner') await this.rooms.ensureMember(room.id, caller.userId);
      seq = await this.events.toRoom(room.id, 'room.participant_joined', { participant: toParticipantView(participant) });
    } else {
      seq = await this.events.currentSeq(room.id);
    }
    const list = await this.participants.list(room.id);
    return { room: toRoomView(room, distinctUsers(list)), participants: list.map(toParticipantView), seq };
  }
}

function distinctUsers(list: LiveParticipant[]): number {
  return new Set(list.map((p) => p.userId)).size;
}
