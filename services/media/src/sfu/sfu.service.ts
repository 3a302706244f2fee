import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, LOGGER, RoomEventsPublisher, type Logger } from '@switchboard/platform';
import type * as proto from '@switchboard/proto';
import { badRequest, Id, ProtocolError, type EventData, type MediaEventType, type RoomAccessChange } from '@switchboard/protocol';
import { CallsService } from '../calls/calls.service.js';
import type { MediaConfig } from '../config.js';
import { RoomsClient } from '../rooms/rooms.client.js';
import { LivekitClient, type ParticipantInfo } from './livekit.client.js';
import { SfuMetrics } from './sfu.metrics.js';
import { SfuStore, type KnownParticipant } from './sfu.store.js';
import { parseIdentity, parseTokenMetadata, toProtoSfuParticipant } from './sfu.view.js';

const isNotFound = (err: unknown) => err instanceof ProtocolError && err.code === 'not_found';

/**
 * Enforces room access in LiveKit and keeps what media knows of LiveKit's participants true:
 * rooms' access changes (mute, kick, ban, leave, close) become LiveKit calls; every participant
 * that joins is checked against its token's access epoch and the member's current state
 * (ADR 0005); reconcile compares LiveKit's participant lists with what webhooks said (ADR 0006).
 */
@Injectable()
export class SfuService {
  constructor(
    private readonly livekit: LivekitClient,
    private readonly store: SfuStore,
    private readonly rooms: RoomsClient,
    private readonly calls: CallsService,
    private readonly events: RoomEventsPublisher,
    private readonly metrics: SfuMetrics,
    @Inject(CONFIG) private readonly config: MediaConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** A room event from the SFU (checked against its protocol schema by the publisher in development and tests). */
  publish<T extends MediaEventType>(roomId: string, type: T, data: EventData<T>): Promise<number> {
    return this.events.toRoom(roomId, type, data);
  }

  async accessChanged(change: RoomAccessChange): Promise<void> {
    const { roomId, userId } = change;
    switch (change.change) {
      case 'close':
        await this.calls.accessEnded(roomId);
        // LiveKit's participant_left and room_finished webhooks (or reconcile) then tell the room.
        if (this.livekit.configured) await this.enforce('delete_room', () => this.livekit.deleteRoom(roomId));
        return;
      case 'kick':
      case 'ban':
        // Epoch first: a token minted before this cannot bring the user back (checked on join).
        await this.store.bumpEpoch(roomId, userId);
        await this.calls.accessEnded(roomId, userId);
        await this.removeUser(roomId, userId);
        return;
      case 'leave':
        if (change.membershipEnded) await this.store.bumpEpoch(roomId, userId);
        await this.removeIdentities(roomId, (p) => p.identity === `${userId}:${change.connectionId}` || (change.membershipEnded && parseIdentity(p.identity)?.userId === userId));
        return;
      case 'mute':
      case 'unmute':
        await this.setMuted(roomId, userId, change.change === 'mute');
        return;
      case 'floor':
        await this.floorChanged(roomId, userId);
        return;
    }
  }

  /**
   * Push-to-talk over the SFU (ADR 0055): while a member holds the floor, only that member's
   * participants may publish; when the floor is free again every participant gets publishing
   * back unless its user is muted.
   */
  private async floorChanged(roomId: string, holder: string): Promise<void> {
    await this.store.setFloorHolder(roomId, holder);
    if (!this.livekit.configured) return;
    const muted = new Map<string, boolean>();
    for (const p of await this.participantsOf(roomId, () => true)) {
      const user = parseIdentity(p.identity)?.userId;
      if (!user) continue;
      let may = holder ? user === holder : true;
      if (may && !muted.has(user)) muted.set(user, (await this.rooms.membership(roomId, user).catch(() => null))?.muted ?? false);
      if (may && muted.get(user)) may = false;
      if ((p.permission?.canPublish ?? true) === may) continue;
      const permission = { canSubscribe: p.permission?.canSubscribe ?? true, canPublishData: p.permission?.canPublishData ?? true, canPublish: may };
      await this.enforce(may ? 'floor_grant' : 'floor_revoke', () => this.livekit.updatePermission(roomId, p.identity, permission));
    }
  }

  /**
   * A participant joined LiveKit: it stays only if its token's epoch is current and the user is
   * still a member; a muted member's publish permission is taken away if the token predates the mute.
   */
  async checkJoined(roomId: string, p: ParticipantInfo): Promise<'ok' | 'removed'> {
    const who = parseIdentity(p.identity);
    const meta = parseTokenMetadata(p.metadata);
    let reason: string | undefined;
    if (!who || !meta || meta.userId !== who.userId) reason = 'not a Switchboard token';
    else if (meta.epoch !== (await this.store.epoch(roomId, who.userId))) reason = 'token minted before a kick, ban or leave';
    else {
      const m = await this.rooms.membership(roomId, who.userId).catch((err) => (isNotFound(err) ? null : Promise.reject(err)));
      if (!m || !m.member || m.banned) reason = 'not a member of the room';
      else if (m.muted && p.permission?.canPublish) await this.mute(roomId, p, true);
      else if (p.permission?.canPublish && (await this.floorBlocks(roomId, who.userId))) {
        // A token minted before someone took the floor: publishing waits for the floor (ADR 0055).
        await this.enforce('floor_revoke', () => this.livekit.updatePermission(roomId, p.identity, { canSubscribe: p.permission?.canSubscribe ?? true, canPublishData: p.permission?.canPublishData ?? true, canPublish: false }));
      }
    }
    if (!reason) return 'ok';
    this.logger.info({ roomId, identity: p.identity, reason }, 'removing a participant LiveKit let in');
    await this.enforce('stale_join', () => this.livekit.removeParticipant(roomId, p.identity));
    return 'removed';
  }

  // --- admin (gRPC) -------------------------------------------------------------------------

  async list(roomId: string): Promise<proto.media.ListSfuParticipantsResponse> {
    requireId('roomId', roomId);
    return { participants: (await this.livekit.listParticipants(roomId)).map(toProtoSfuParticipant) };
  }

  async adminMute(roomId: string, identity: string, muted: boolean): Promise<proto.media.MuteSfuParticipantResponse> {
    requireId('roomId', roomId);
    const p = (await this.livekit.listParticipants(roomId)).find((x) => x.identity === identity);
    if (!p) throw new ProtocolError('not_found', 'no such participant in the room\'s SFU session');
    return { tracksMuted: await this.mute(roomId, p, muted) };
  }

  async adminRemove(roomId: string, identity: string): Promise<proto.media.RemoveSfuParticipantResponse> {
    requireId('roomId', roomId);
    if (!identity) throw badRequest('identity is required');
    await this.livekit.removeParticipant(roomId, identity);
    return {};
  }

  // --- reconcile ---------------------------------------------------------------------------

  /**
   * Makes what media knows match LiveKit for every room it created: ghosts (known, not in
   * LiveKit) leave with reason `reconciled`, participants whose join webhook was missed are
   * announced and checked, rooms LiveKit closed are finished.
   */
  async reconcile(): Promise<void> {
    if (!this.livekit.configured) return;
    const ours = await this.store.rooms();
    if (!ours.length) return;
    // One ListRooms for all of them, then ListParticipants only for rooms LiveKit still has.
    const live = new Set((await this.livekit.listRooms(ours)).map((r) => r.name));
    for (const roomId of ours) {
      try {
        await this.reconcileRoom(roomId, live.has(roomId));
      } catch (err) {
        this.logger.warn({ err, roomId }, 'reconcile of an SFU room failed');
      }
    }
  }

  private async reconcileRoom(roomId: string, inLivekit: boolean): Promise<void> {
    const known = await this.store.participants(roomId);
    const live = inLivekit ? await this.livekit.listParticipants(roomId).catch((err) => (isNotFound(err) ? null : Promise.reject(err))) : null;
    const liveIds = new Set((live ?? []).map((p) => p.identity));
    for (const k of known) {
      if (liveIds.has(k.identity) || !(await this.store.left(roomId, k.identity))) continue;
      this.metrics.reconciled.inc({ action: 'ghost_dropped' });
      await this.publish(roomId, 'media.participant_left', { ...k, reason: 'reconciled' });
    }
    if (!live) {
      await this.store.roomGone(roomId);
      this.metrics.reconciled.inc({ action: 'room_finished' });
      await this.publish(roomId, 'media.room_finished', { roomId });
      return;
    }
    for (const p of live) {
      const added = await this.participantJoined(roomId, p);
      if (added) this.metrics.reconciled.inc({ action: 'missed_join' });
    }
  }

  /** Records a participant LiveKit reports (webhook or reconcile); new ones are announced and checked. True when it was new. */
  async participantJoined(roomId: string, p: ParticipantInfo): Promise<boolean> {
    const who = parseIdentity(p.identity);
    const known: KnownParticipant = { identity: p.identity, participantSid: p.sid, userId: who?.userId ?? '', connectionId: who?.connectionId ?? '' };
    if (!(await this.store.joined(roomId, known))) return false;
    await this.publish(roomId, 'media.participant_joined', known);
    if ((await this.checkJoined(roomId, p)) === 'removed') this.metrics.reconciled.inc({ action: 'stale_removed' });
    return true;
  }

  // --- helpers -----------------------------------------------------------------------------

  /** Someone else holds the room's floor: this user may not publish in the SFU now. */
  private async floorBlocks(roomId: string, userId: string): Promise<boolean> {
    const holder = await this.store.floorHolder(roomId);
    return !!holder && holder !== userId;
  }

  private async setMuted(roomId: string, userId: string, muted: boolean): Promise<void> {
    if (!this.livekit.configured) return;
    for (const p of await this.participantsOf(roomId, (x) => parseIdentity(x.identity)?.userId === userId)) await this.mute(roomId, p, muted);
  }

  /** Mutes every published track and revokes publishing (or gives publishing back). Returns the tracks muted. */
  private async mute(roomId: string, p: ParticipantInfo, muted: boolean): Promise<number> {
    let count = 0;
    if (muted) {
      for (const t of p.tracks.filter((x) => !x.muted)) {
        await this.enforce('mute', () => this.livekit.mutePublishedTrack(roomId, p.identity, t.sid, true));
        count++;
      }
    }
    const permission = { canSubscribe: p.permission?.canSubscribe ?? true, canPublishData: p.permission?.canPublishData ?? true, canPublish: !muted };
    await this.enforce(muted ? 'mute' : 'unmute', () => this.livekit.updatePermission(roomId, p.identity, permission));
    return count;
  }

  private async removeUser(roomId: string, userId: string): Promise<void> {
    await this.removeIdentities(roomId, (p) => parseIdentity(p.identity)?.userId === userId);
  }

  private async removeIdentities(roomId: string, which: (p: ParticipantInfo) => boolean): Promise<void> {
    if (!this.livekit.configured) return;
    for (const p of await this.participantsOf(roomId, which)) await this.enforce('remove', () => this.livekit.removeParticipant(roomId, p.identity));
  }

  /** LiveKit's participants of a room that match; none when the room has no SFU session. */
  private async participantsOf(roomId: string, which: (p: ParticipantInfo) => boolean): Promise<ParticipantInfo[]> {
    try {
      return (await this.livekit.listParticipants(roomId)).filter(which);
    } catch (err) {
      if (isNotFound(err)) return [];
      throw err;
    }
  }

  /** One enforcement call: a participant or room already gone counts as done. */
  private async enforce(action: string, call: () => Promise<unknown>): Promise<void> {
    try {
      await call();
      this.metrics.enforcements.inc({ action, result: 'ok' });
    } catch (err) {
      if (isNotFound(err)) return void this.metrics.enforcements.inc({ action, result: 'gone' });
      this.metrics.enforcements.inc({ action, result: 'failed' });
      throw err;
    }
  }
}

function requireId(name: string, value: string): void {
  if (!Id.safeParse(value).success) throw badRequest(`${name} must match [A-Za-z0-9_-]{1,64}`);
}
