import { Emitter } from '../emitter.js';
import { ClientError } from '../errors.js';
import type { Switchboard } from '../switchboard.js';
import type { SfuGrant } from '../types.js';

/**
 * The part of livekit-client's `Room` this helper drives (livekit-client is an optional peer
 * dependency: import it yourself and pass `new Room()`).
 */
export interface LiveKitRoomLike {
  connect(url: string, token: string): Promise<void>;
  disconnect(): Promise<void>;
  /** livekit-client's RoomEvent.Disconnected ('disconnected'): LiveKit dropped the participant or gave up reconnecting. */
  on(event: 'disconnected', listener: (reason?: number) => void): unknown;
  off(event: 'disconnected', listener: (reason?: number) => void): unknown;
  localParticipant: {
    setCameraEnabled(enabled: boolean): Promise<unknown>;
    setMicrophoneEnabled(enabled: boolean): Promise<unknown>;
  };
}

export interface SfuCallOptions {
  /** Publish the camera and/or the microphone once connected (default neither: publish through `room.localParticipant` yourself). */
  publish?: { camera?: boolean; microphone?: boolean };
}

/** Why an SfuCall ended. */
export type SfuCallEndReason =
  /** `leave()` here. */
  | 'left'
  /** `call.ended` for this call (its own reason in `callReason`). */
  | 'call_ended'
  /** This user was kicked or banned from the room (`room.removed`). */
  | 'removed'
  /** The room was closed (`room.closed`). */
  | 'room_closed'
  /** The Switchboard client stopped for good (`closed`). */
  | 'client_closed'
  /** LiveKit disconnected this participant (removed by the server, room deleted, reconnects given up). */
  | 'disconnected';

export interface SfuCallEvents extends Record<string, unknown[]> {
  /** The call ended and the LiveKit room was disconnected (or LiveKit disconnected it). */
  ended: [info: { reason: SfuCallEndReason; callReason?: string }];
}

/**
 * An SFU call through livekit-client. `join` takes the room's SFU session with `media.token`;
 * `start` / `accept` go through `call.*` in SFU mode (the call rings, is logged and ends for
 * everyone with `call.end`). The call leaves LiveKit by itself when the call ends, when this
 * user is removed from the room, when the room closes or when the client stops.
 * LiveKit refreshes the token of a connected participant itself, so one grant is enough.
 */
export class SfuCall<R extends LiveKitRoomLike = LiveKitRoomLike> extends Emitter<SfuCallEvents> {
  private done = false;
  private readonly offs: (() => void)[] = [];

  private constructor(
    private readonly sb: Switchboard,
    readonly roomId: string,
    /** The livekit-client Room passed in: participants, tracks and its own events. */
    readonly room: R,
    /** The `call.*` call this belongs to; undefined for a plain `join`. */
    readonly callId?: string,
  ) {
    super();
    this.offs.push(
      sb.on('room.removed', (_d, e) => e.room === roomId && void this.end('removed')),
      sb.on('room.closed', (_d, e) => e.room === roomId && void this.end('room_closed')),
      sb.on('closed', () => void this.end('client_closed')),
    );
    if (callId) this.offs.push(sb.on('call.ended', (d: { callId?: string; reason?: string }) => d.callId === callId && void this.end('call_ended', d.reason)));
  }

  /** Joins the room's SFU session (`media.token`); members only. */
  static async join<R extends LiveKitRoomLike>(sb: Switchboard, roomId: string, room: R, opts: SfuCallOptions = {}): Promise<SfuCall<R>> {
    const grant = await sb.request('media.token', { roomId });
    return SfuCall.connect(new SfuCall(sb, roomId, room), grant, opts);
  }

  /** Starts an SFU-mode call in the room (`call.start`): the other members get `call.incoming`. */
  static async start<R extends LiveKitRoomLike>(sb: Switchboard, roomId: string, room: R, opts: SfuCallOptions & { media?: 'audio' | 'video' } = {}): Promise<SfuCall<R>> {
    const reply = await sb.request('call.start', { roomId, media: opts.media ?? 'video', mode: 'sfu' });
    return SfuCall.connect(new SfuCall(sb, roomId, room, reply.callId), reply.sfu, opts);
  }

  /** Answers a ringing SFU-mode call (`call.incoming` of room `roomId`) with `call.accept`. */
  static async accept<R extends LiveKitRoomLike>(sb: Switchboard, roomId: string, callId: string, room: R, opts: SfuCallOptions = {}): Promise<SfuCall<R>> {
    const reply = await sb.request('call.accept', { callId });
    return SfuCall.connect(new SfuCall(sb, roomId, room, callId), reply.sfu, opts);
  }

  /** `<userId>:<connectionId>` (a LiveKit identity minted by Switchboard) → its parts; null for any other identity. */
  static identityOf(identity: string): { userId: string; connectionId: string } | null {
    const at = identity.lastIndexOf(':');
    return at > 0 && at < identity.length - 1 ? { userId: identity.slice(0, at), connectionId: identity.slice(at + 1) } : null;
  }

  private static async connect<R extends LiveKitRoomLike>(call: SfuCall<R>, grant: SfuGrant | undefined, opts: SfuCallOptions): Promise<SfuCall<R>> {
    try {
      if (!grant) throw new ClientError('unavailable', 'the server answered without an SFU grant (is the call in SFU mode?)');
      await call.room.connect(grant.url, grant.token);
      // From now on a drop on LiveKit's side ends the call too (a failed connect is handled below instead).
      const dropped = () => void call.end('disconnected');
      call.room.on('disconnected', dropped);
      call.offs.push(() => call.room.off('disconnected', dropped));
      if (opts.publish?.camera) await call.room.localParticipant.setCameraEnabled(true);
      if (opts.publish?.microphone) await call.room.localParticipant.setMicrophoneEnabled(true);
      return call;
    } catch (err) {
      // Nothing half-joined stays behind: the call is hung up (when we started or answered it) and LiveKit left.
      await call.leave().catch(() => undefined);
      throw err;
    }
  }

  /** Leaves LiveKit; a `call.*` call is hung up first (`call.end`: it ends for everyone in it). Idempotent. */
  async leave(): Promise<void> {
    if (!this.stopFollowing()) return;
    // Not following events any more: the `call.ended` our own call.end causes must not end it a second way.
    if (this.callId) await this.sb.request('call.end', { callId: this.callId }).catch(() => undefined);
    await this.disconnect('left');
  }

  private async end(reason: SfuCallEndReason, callReason?: string): Promise<void> {
    if (this.stopFollowing()) await this.disconnect(reason, callReason);
  }

  /** Marks the call done and drops its listeners; false when it was done already. */
  private stopFollowing(): boolean {
    if (this.done) return false;
    this.done = true;
    for (const off of this.offs.splice(0)) off();
    return true;
  }

  private async disconnect(reason: SfuCallEndReason, callReason?: string): Promise<void> {
    try {
      await this.room.disconnect();
    } finally {
      this.emit('ended', { reason, ...(callReason ? { callReason } : {}) });
    }
  }
}
