import { Inject, Injectable } from '@nestjs/common';
import { CONFIG } from '@switchboard/platform';
import type { IceServerView } from '@switchboard/protocol';
import type { MediaConfig } from '../config.js';
import { turnCredentials } from './turn-credentials.js';

@Injectable()
export class IceService {
  constructor(@Inject(CONFIG) private readonly config: MediaConfig) {}

  /** STUN for everyone, plus fresh TURN credentials for this user (and when they expire) when TURN is configured. */
  iceServers(userId: string): { iceServers: IceServerView[]; expiresAt?: number } {
    const servers: IceServerView[] = [];
    if (this.config.STUN_URLS.length) servers.push({ urls: this.config.STUN_URLS });
    if (this.config.TURN_URLS.length && this.config.TURN_SECRET) {
      const { username, credential, expiresAt } = turnCredentials(this.config.TURN_SECRET, userId, this.config.TURN_TTL_S);
      servers.push({ urls: this.config.TURN_URLS, username, credential });
      return { iceServers: servers, expiresAt };
    }
    return { iceServers: servers };
  }
}
