import { Inject, Injectable } from '@nestjs/common';
import { CommandBus, CONFIG, fitToBudget, jsonBytes, newId, publishSystemEvent, RoomEventsPublisher, WindowCounter, type Caller } from '@switchboard/platform';
import type * as proto from '@switchboard/proto';
import { badRequest, forbidden, notFound, ProtocolError, rateLimited, RoomAccessChange, type CommandData, type JoinReply, type ParticipantView, type Reply, type RoomAccessChangeInput, type RoomView } from '@switchboard/protocol';
import type { RoomsConfig } from '../config.js';
import { ChannelList } from '../channels/channel-list.service.js';
import { toChannelView } from '../channels/channels.view.js';
import { EmojiList } from '../emoji/emoji-list.service.js';
import { toEmojiView } from '../emoji/emoji.view.js';
import { FloorLeases, talkOf } from '../floor/floor-leases.service.js';
import { distinctUsers, ParticipantsStore, type LiveParticipant } from './participants.store.js';
import { RoomFlagsStore } from './room-flags.store.js';
import { RoomsStore, type Member, type Room } from './rooms.store.js';
import {
  afterParticipantCursor,
  decodeParticipantCursor,
  decodeRoomCursor,
  encodeParticipantCursor,
  encodeRoomCursor,
  toParticipantView,
  toProtoRoom,
  toRoomView,
} from './rooms.view.js';

/** Participants as replies carry them: the first page by byte budget, and where the rest starts. */
type ParticipantsPage = Pick<JoinReply, 'participants' | 'participantsCursor'>;

export type Role = ParticipantView['role'];
export type LeaveReason = 'left' | 'disconnected' | 'kicked' | 'banned';

const STAFF: Role[] = ['owner', 'moderator'];
const HOUR_MS = 3_600_000;

@Injectable()
export class RoomsService {
  constructor(
    private readonly rooms: RoomsStore,
    private readonly participants: ParticipantsStore,
    private readonly floor: FloorLeases,
    private readonly events: RoomEventsPublisher,
    private readonly flags: RoomFlagsStore,
    private readonly windows: WindowCounter,
    private readonly bus: CommandBus,
    private readonly channels: ChannelList,
    private readonly emoji: EmojiList,
    @Inject(CONFIG) private readonly config: RoomsConfig,
  ) {}

  /** Tells the media service that access to a room changed (`sb.sys.room.access`): it enforces it in the SFU and ends calls. */
  accessChanged(change: RoomAccessChangeInput): void {
    publishSystemEvent(this.bus, 'room.access', RoomAccessChange, change);
  }

  async create(caller: Caller, data: CommandData<'room.create'>): Promise<JoinReply> {
    await this.checkCreationQuota(caller.userId);
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
      replayEphemeral: data.replayEphemeral ?? false,
    });
    if (room.replayEphemeral) await this.flags.setReplayEphemeral(room.id, true);
    return this.enter(room, caller, 'owner');
  }

  /** Per-user quotas: open rooms owned at once, and rooms created per hour. */
  private async checkCreationQuota(userId: string): Promise<void> {
    if ((await this.rooms.countOpenOwned(userId)) >= this.config.ROOMS_MAX_OPEN_PER_USER) {
      throw forbidden(`you own ${this.config.ROOMS_MAX_OPEN_PER_USER} open rooms, the most allowed; close one first`);
    }
    const { count, resetsInMs } = await this.windows.hit(`rooms:created:${userId}`, HOUR_MS);
    if (count > this.config.ROOMS_CREATE_PER_HOUR) throw rateLimited(`at most ${this.config.ROOMS_CREATE_PER_HOUR} rooms per hour`, resetsInMs);
  }

  async join(caller: Caller, data: CommandData<'room.join'>): Promise<JoinReply> {
    // The read creates the membership of an open public room in the same statement (ADR 0083).
    const found = await this.rooms.joinAndEnsureMember(data.roomId, caller.userId);
    if (!found) throw notFound('room not found');
    const { room, member, banned, inserted } = found;
    if (banned) throw forbidden('you are banned from this room');
    if (room.joinPolicy === 'approval' && !member) throw forbidden('this room requires approval: send room.request_join');
    // Private rooms are members-only whatever their join policy (ADR 0010): knowing the id lets you ask, not enter.
    if (room.visibility === 'private' && !member) throw forbidden('this room is private: send room.request_join');
    // Past these checks a public open room's membership exists (inserted now, or concurrently by another join).
    const undo = inserted ? () => this.rooms.undoJoinMember(room.id, caller.userId) : undefined;
    return this.enter(room, caller, (member?.role ?? 'member') as Role, member?.muted ?? false, undo);
  }

  async leave(caller: Caller, data: CommandData<'room.leave'>): Promise<{ seq: number }> {
    const removed = await this.participants.remove(data.roomId, caller.connectionId);
    if (!removed) throw notFound('not in this room');
    const [seq] = await this.depart(data.roomId, [removed], 'left');
    // An explicit leave of the user's last connection ends the membership (not the owner's).
    const stillHere = (await this.participants.ofUser(data.roomId, caller.userId)).length > 0;
    let membershipEnded = false;
    if (!stillHere) {
      const room = await this.rooms.findOpen(data.roomId);
      if (room && room.ownerId !== caller.userId) {
        await this.rooms.removeMember(data.roomId, caller.userId);
        membershipEnded = true;
      }
    }
    this.accessChanged({ roomId: data.roomId, change: 'leave', userId: caller.userId, connectionId: caller.connectionId, membershipEnded });
    return { seq };
  }

  async get(caller: Caller, data: CommandData<'room.get'>): Promise<Reply<'room.get'>> {
    const room = await this.visibleRoom(data.roomId, caller);
    const [list, channelRows, emojiRows] = await Promise.all([this.participants.list(room.id), this.channels.list(room.id), this.emoji.list(room.id)]);
    const view = toRoomView(room, distinctUsers(list));
    // Channels and emoji are bounded per room (config caps ≤ protocol LIMITS); participants page in what is left.
    const channels = channelRows.map(toChannelView);
    const emoji = emojiRows.map(toEmojiView);
    return { room: view, channels, emoji, ...this.participantsPage(list, this.config.REPLY_MAX_BYTES - jsonBytes({ view, channels, emoji })) };
  }

  /** The live participants of a room a page at a time (rooms with thousands of seats). */
  async participantsOf(caller: Caller, data: CommandData<'room.participants'>): Promise<Reply<'room.participants'>> {
    const room = await this.visibleRoom(data.roomId, caller);
    const after = data.cursor ? decodeParticipantCursor(data.cursor) : undefined;
    if (data.cursor && !after) throw badRequest('invalid cursor');
    const rest = afterParticipantCursor(await this.participants.list(room.id), after);
    const page = this.participantsPage(rest.slice(0, data.limit ?? 500), this.config.REPLY_MAX_BYTES, rest.length);
    return { participants: page.participants, nextCursor: page.participantsCursor, hasMore: page.participantsCursor !== null };
  }

  async list(caller: Caller, data: CommandData<'room.list'>): Promise<Reply<'room.list'>> {
    const page = await this.page({ visibleTo: caller.userId, cursor: data.cursor, limit: data.limit ?? 50 });
    return { rooms: page.rooms.map(({ room, count }) => toRoomView(room, count)), nextCursor: page.nextCursor, hasMore: page.nextCursor !== null };
  }

  async update(caller: Caller, data: CommandData<'room.update'>): Promise<{ room: RoomView }> {
    const { room } = await this.requireRole(data.roomId, caller.userId, STAFF);
    const { roomId, ...patch } = data;
    const updated = Object.keys(patch).length ? await this.rooms.update(roomId, patch) : room;
    if (patch.replayEphemeral !== undefined) await this.flags.setReplayEphemeral(roomId, patch.replayEphemeral);
    const view = toRoomView(updated, distinctUsers(await this.participants.list(roomId)));
    await this.events.toRoom(roomId, 'room.updated', { room: view });
    return { room: view };
  }

  async close(caller: Caller, data: CommandData<'room.close'>): Promise<Record<string, never>> {
    await this.requireRole(data.roomId, caller.userId, ['owner']);
    await this.closeRoom(data.roomId);
    return {};
  }

  async broadcast(caller: Caller, data: CommandData<'room.broadcast'>): Promise<Record<string, never>> {
    // Seat and replay flag in one round trip (one pipelined write): the flag is moot without a seat.
    const [, replays] = await Promise.all([this.requireSeat(data.roomId, caller), this.flags.replaysEphemeral(data.roomId)]);
    const event = { from: { userId: caller.userId, connectionId: caller.connectionId }, data: data.data };
    // Live only (no seq, not stored for resume) unless the room opted into replaying them.
    if (replays) await this.events.toRoom(data.roomId, 'room.broadcast', event, { excludeConnectionId: caller.connectionId });
    else this.events.live(data.roomId, 'room.broadcast', event, { excludeConnectionId: caller.connectionId });
    return {};
  }

  /** Room and live participants in proto shape (gRPC). */
  async adminGet(roomId: string): Promise<{ room: proto.rooms.Room; participants: proto.rooms.Participant[] }> {
    const room = await this.rooms.find(roomId);
    if (!room) throw notFound('room not found');
    const list = await this.participants.list(room.id);
    return { room: toProtoRoom(room, distinctUsers(list)), participants: list };
  }

  async adminList(req: proto.rooms.ListRoomsRequest): Promise<proto.rooms.ListRoomsResponse> {
    const page = await this.page({ includeClosed: req.includeClosed, cursor: req.cursor || undefined, limit: Math.min(Math.max(req.limit || 50, 1), 500) });
    return { rooms: page.rooms.map(({ room, count }) => toProtoRoom(room, count)), nextCursor: page.nextCursor ?? '' };
  }

  async membership(roomId: string, userId: string): Promise<proto.rooms.CheckMembershipResponse> {
    const found = await this.rooms.forJoin(roomId, userId);
    if (!found) throw notFound('room not found');
    const { room, member, banned } = found;
    return { member: !!member, role: member?.role ?? '', muted: member?.muted ?? false, banned, roomKind: room.kind, maxParticipants: room.maxParticipants };
  }

  /** Closes a room for everyone: no more commands, live participants dropped, `room.closed`. */
  async closeRoom(roomId: string): Promise<void> {
    await this.openRoom(roomId);
    if (!(await this.rooms.close(roomId))) return;
    await Promise.all([this.participants.clear(roomId), this.floor.clear(roomId), this.flags.setReplayEphemeral(roomId, false)]);
    await this.events.toRoom(roomId, 'room.closed', { roomId });
    this.accessChanged({ roomId, change: 'close', membershipEnded: true });
  }

  async openRoom(roomId: string): Promise<Room> {
    const room = await this.rooms.findOpen(roomId);
    if (!room) throw notFound('room not found');
    return room;
  }

  /** The open room and the caller's membership, refusing non-members. */
  async requireMember(roomId: string, userId: string): Promise<{ room: Room; member: Member }> {
    const found = await this.rooms.memberWithRoom(roomId, userId);
    if (found && !found.room.closedAt) {
      const { room, ...member } = found;
      return { room, member };
    }
    await this.openRoom(roomId); // not_found when the room is missing or closed
    throw forbidden('not a member of this room');
  }

  async requireRole(roomId: string, userId: string, roles: Role[]): Promise<{ room: Room; member: Member }> {
    const access = await this.requireMember(roomId, userId);
    if (!roles.includes(access.member.role as Role)) throw forbidden(`only ${roles.join(' or ')} may do this`);
    return access;
  }

  /** The caller's live entry in the room (this connection, not just the user). */
  async requireParticipant(roomId: string, caller: Caller): Promise<{ room: Room; participant: LiveParticipant }> {
    const [room, participant] = await Promise.all([this.openRoom(roomId), this.participants.get(roomId, caller.connectionId)]);
    if (!participant) throw forbidden('not in this room');
    return { room, participant };
  }

  /**
   * The caller's seat, from Redis alone: a live seat implies an open room (closing a room clears
   * its seats), so the hot ephemeral verbs (broadcast, typing) skip Postgres. Postgres is read
   * only to tell `not_found` from `forbidden` when there is no seat.
   */
  async requireSeat(roomId: string, caller: Caller): Promise<LiveParticipant> {
    const participant = await this.participants.get(roomId, caller.connectionId);
    if (participant) return participant;
    await this.openRoom(roomId);
    throw forbidden('not in this room');
  }

  /**
   * Announces removed participants (`room.participant_left`) and frees a floor any of them
   * held. Returns the seq of each participant_left event.
   */
  async depart(roomId: string, removed: LiveParticipant[], reason: LeaveReason): Promise<number[]> {
    const seqs: number[] = [];
    for (const p of removed) {
      seqs.push(await this.events.toRoom(roomId, 'room.participant_left', { userId: p.userId, connectionId: p.connectionId, reason }));
      const released = await this.floor.releaseIf(roomId, { connectionId: p.connectionId });
      if (released) {
        await this.events.toRoom(roomId, 'floor.released', { userId: released.userId, reason: reason === 'disconnected' ? 'disconnected' : 'released', ...talkOf(released) });
        this.accessChanged({ roomId, change: 'floor' });
      }
    }
    return seqs;
  }

  /** A page of rooms: at most `limit`, and no more than the reply budget in bytes (then `nextCursor` goes on from the last). */
  private async page(opts: { visibleTo?: string; includeClosed?: boolean; cursor?: string; limit: number }) {
    const after = opts.cursor ? decodeRoomCursor(opts.cursor) : undefined;
    if (opts.cursor && !after) throw badRequest('invalid cursor');
    const rows = await this.rooms.list({ visibleTo: opts.visibleTo, includeClosed: opts.includeClosed, after, limit: opts.limit + 1 });
    const capped = rows.slice(0, opts.limit);
    const pageRows = capped.slice(0, fitToBudget(capped, this.config.REPLY_MAX_BYTES, (r) => jsonBytes(toRoomView(r, 0))));
    const counts = await this.participants.userCounts(pageRows.map((r) => r.id));
    const last = pageRows[pageRows.length - 1];
    return { rooms: pageRows.map((room) => ({ room, count: counts.get(room.id) ?? 0 })), nextCursor: rows.length > pageRows.length && last ? encodeRoomCursor(last) : null };
  }

  /**
   * Takes a seat (atomically against maxParticipants) and announces it. The membership exists
   * already (created with the room, or by the join's read); `undoMembership` gives back the one
   * the join's read created when no seat is taken.
   */
  private async enter(room: Room, caller: Caller, role: Role, muted = false, undoMembership?: () => Promise<void>): Promise<JoinReply> {
    const participant: LiveParticipant = {
      userId: caller.userId,
      connectionId: caller.connectionId,
      name: caller.name || caller.userId,
      role,
      muted,
      joinedAt: Date.now(),
      nodeId: caller.nodeId,
      sessionId: caller.sessionId,
    };
    // A new seat comes with its participant_joined's seq (the room's current seq when already seated).
    let seat: Awaited<ReturnType<ParticipantsStore['add']>>;
    try {
      seat = await this.participants.add(room.id, participant, room.maxParticipants);
    } catch (err) {
      await undoMembership?.();
      throw err;
    }
    const { outcome, participants: list, seq } = seat;
    if (outcome === 'full') {
      // A room_full leaves no member (ADR 0068), also when the read created one (ADR 0083).
      await undoMembership?.();
      throw new ProtocolError('room_full', 'room is full');
    }
    // Published at once: the room's next event must not overtake it.
    if (outcome === 'added') await this.events.publishAt(room.id, seq, 'room.participant_joined', { participant: toParticipantView(participant) });
    const view = toRoomView(room, distinctUsers(list));
    return { room: view, ...this.participantsPage(list, this.config.REPLY_MAX_BYTES - jsonBytes(view)), seq };
  }

  /** The participants that fit into `budget` bytes, and a cursor to the rest when some did not (or `total` says there are more). */
  private participantsPage(list: LiveParticipant[], budget: number, total = list.length): ParticipantsPage {
    const views = list.map(toParticipantView);
    const fit = fitToBudget(views, budget);
    const last = views[fit - 1];
    return { participants: views.slice(0, fit), participantsCursor: (fit < views.length || total > views.length) && last ? encodeParticipantCursor(last) : null };
  }

  /** An open room the caller may see: a private room exists only for its members. */
  private async visibleRoom(roomId: string, caller: Caller): Promise<Room> {
    const room = await this.openRoom(roomId);
    if (room.visibility === 'private' && !(await this.rooms.member(room.id, caller.userId))) throw notFound('room not found');
    return room;
  }
}
