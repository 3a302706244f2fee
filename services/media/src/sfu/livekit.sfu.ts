import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, type Caller } from '@switchboard/platform';
import { AccessToken } from 'livekit-server-sdk';
import { livekitSettings, type MediaConfig } from '../config.js';
import { RoomsClient } from '../rooms/rooms.client.js';
import { LivekitClient } from './livekit.client.js';
import { NoSfu, SfuAccess, type SfuGrant } from './sfu.access.js';
import { SfuStore } from './sfu.store.js';
import { identityOf, type TokenMetadata } from './sfu.view.js';

const STAFF = ['owner', 'moderator'];

/**
 * The SFU seam bound to LiveKit: a member's grant for a room's LiveKit session. Membership comes
 * from the rooms service (members only; banned, kicked and closed rooms refused there), the
 * LiveKit room is created on first use (CreateRoom is get-or-create), the token follows the
 * member's role and state and carries the user's access epoch (ADR 0005).
 */
@Injectable()
export class LivekitSfu extends SfuAccess {
  constructor(
    private readonly rooms: RoomsClient,
    private readonly livekit: LivekitClient,
    private readonly store: SfuStore,
    @Inject(CONFIG) private readonly config: MediaConfig,
  ) {
    super();
  }

  async grant(caller: Caller, roomId: string): Promise<SfuGrant> {
    const settings = livekitSettings(this.config);
    if (!settings) throw new NoSfu(this.config.LIVEKIT_UNAVAILABLE_REASON).error();
    const member = await this.rooms.requireMember(roomId, caller.userId);
    const [, epoch, floorHolder] = await Promise.all([this.ensureRoom(roomId, member.maxParticipants), this.store.epoch(roomId, caller.userId), this.store.floorHolder(roomId)]);
    const ttlS = this.config.LIVEKIT_TOKEN_TTL_S;
    const metadata: TokenMetadata = { userId: caller.userId, connectionId: caller.connectionId, epoch };
    const token = new AccessToken(settings.apiKey, settings.apiSecret, {
      identity: identityOf(caller.userId, caller.connectionId),
      name: caller.name || caller.userId,
      ttl: ttlS,
      metadata: JSON.stringify(metadata),
    });
    token.addGrant({
      room: roomId,
      roomJoin: true,
      roomAdmin: STAFF.includes(member.role),
      canSubscribe: true,
      // While another member holds the push-to-talk floor, only the holder publishes (ADR 0055).
      canPublish: !member.muted && (!floorHolder || floorHolder === caller.userId),
      canPublishData: true,
      canUpdateOwnMetadata: false,
    });
    return { url: settings.url, token: await token.toJwt(), expiresAt: Date.now() + ttlS * 1000 };
  }

  /** Get-or-create the room's LiveKit session, sized like the Switchboard room. */
  private async ensureRoom(roomId: string, maxParticipants: number): Promise<void> {
    await this.livekit.createRoom({ name: roomId, maxParticipants, emptyTimeout: this.config.LIVEKIT_EMPTY_TIMEOUT_S, departureTimeout: this.config.LIVEKIT_DEPARTURE_TIMEOUT_S });
    await this.store.roomCreated(roomId);
  }
}
