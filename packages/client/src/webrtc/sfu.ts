import type { Switchboard } from '../switchboard.js';

/** The part of livekit-client's Room this helper drives (an optional peer dependency). */
export interface LiveKitRoomLike {
  connect(url: string, token: string): Promise<void>;
  disconnect(): Promise<void>;
}

/**
 * An SFU call through livekit-client: `media.token` for the room, then a LiveKit Room
 * connected with it. Import livekit-client yourself and pass its Room (keeps it optional).
 */
export class SfuCall {
  private constructor(readonly room: LiveKitRoomLike) {}

  /** `new Room()` from livekit-client is passed in as `room`. */
  static async join(sb: Switchboard, roomId: string, room: LiveKitRoomLike): Promise<SfuCall> {
    const { url, token } = await sb.request('media.token', { roomId });
    await room.connect(url, token);
    return new SfuCall(room);
  }

  leave(): Promise<void> {
    return this.room.disconnect();
  }
}
