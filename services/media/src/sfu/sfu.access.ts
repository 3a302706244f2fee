import type { Caller } from '@switchboard/platform';
import { unavailable } from '@switchboard/protocol';

/** What a member needs to join a room's SFU session: the LiveKit URL, an access token and its expiry (ms). */
export interface SfuGrant {
  url: string;
  token: string;
  expiresAt: number;
}

/**
 * The seam between the media domains and the SFU: `media.token` and SFU-mode calls both ask it
 * for a member's grant, so calls never depend on LiveKit directly and tests can swap it.
 */
export abstract class SfuAccess {
  abstract grant(caller: Caller, roomId: string): Promise<SfuGrant>;
}

/** Without a configured SFU, P2P still works and SFU requests fail with a typed `unavailable`. */
export class NoSfu extends SfuAccess {
  /** `reason`: why there is no LiveKit (e.g. `npm start` could not build it), shown to clients and on /readyz. */
  constructor(private readonly reason?: string) {
    super();
  }

  error() {
    return unavailable(this.reason ? `no SFU on this server: ${this.reason}` : 'no SFU is configured on this server (LIVEKIT_URL)');
  }

  grant(): Promise<SfuGrant> {
    return Promise.reject(this.error());
  }
}
