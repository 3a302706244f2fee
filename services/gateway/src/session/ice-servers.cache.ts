import { Inject, Injectable } from '@nestjs/common';
import { CommandBus, CONFIG, LOGGER, type Caller, type Logger } from '@switchboard/platform';
import type { IceServerView } from '@switchboard/protocol';
import type { GatewayConfig } from '../config.js';

interface Entry {
  iceServers: IceServerView[];
  /** Handed out until then: half the credentials' lifetime, so every client gets at least that half. */
  reuseUntil: number;
}

/**
 * The ICE servers of `hello`, per user: TURN credentials from the media service are reused for
 * the first half of their lifetime (ADR 0058), so a user's reconnects and extra devices cost no
 * round trip to media. Bounded (ICE_CACHE_MAX_USERS, least recently used out first); replies
 * without TURN credentials and failures are not kept. Concurrent connects of one user share one
 * request.
 */
@Injectable()
export class IceServersCache {
  private readonly entries = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<IceServerView[]>>();

  constructor(
    private readonly bus: CommandBus,
    @Inject(CONFIG) private readonly config: GatewayConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Cached while half their lifetime is left, else fresh from media; STUN defaults when media does not answer quickly. */
  forUser(caller: Caller): Promise<IceServerView[]> {
    const now = Date.now();
    const hit = this.entries.get(caller.userId);
    if (hit && hit.reuseUntil > now) {
      // Least recently used goes first: a hit moves to the end.
      this.entries.delete(caller.userId);
      this.entries.set(caller.userId, hit);
      return Promise.resolve(hit.iceServers);
    }
    if (hit) this.entries.delete(caller.userId);
    let pending = this.inflight.get(caller.userId);
    if (!pending) {
      pending = this.fetch(caller).finally(() => this.inflight.delete(caller.userId));
      this.inflight.set(caller.userId, pending);
    }
    return pending;
  }

  /** Users with credentials held (for tests and leak checks). */
  get size(): number {
    return this.entries.size;
  }

  private async fetch(caller: Caller): Promise<IceServerView[]> {
    const requested = Date.now();
    try {
      const reply = await this.bus.request('media', 'ice.servers', caller, {}, { timeoutMs: 500 });
      if (Array.isArray(reply?.iceServers)) {
        if (reply.expiresAt) this.keep(caller.userId, reply.iceServers, requested + (reply.expiresAt - requested) / 2);
        return reply.iceServers;
      }
    } catch (err) {
      this.logger.debug({ err: (err as Error).message }, 'media ice.servers unavailable, using STUN defaults');
    }
    return this.config.STUN_URLS.length ? [{ urls: this.config.STUN_URLS }] : [];
  }

  private keep(userId: string, iceServers: IceServerView[], reuseUntil: number): void {
    const max = this.config.ICE_CACHE_MAX_USERS;
    if (max === 0 || reuseUntil <= Date.now()) return;
    this.entries.delete(userId);
    while (this.entries.size >= max) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(userId, { iceServers, reuseUntil });
  }
}
