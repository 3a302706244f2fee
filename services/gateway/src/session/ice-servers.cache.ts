import { Inject, Injectable } from '@nestjs/common';
import { CommandBus, CONFIG, LOGGER, serviceCaller, TurnBatcher, type BatchOutcome, type Caller, type Logger } from '@switchboard/platform';
import { ICE_BATCH_MAX_USERS, type IceServerView } from '@switchboard/protocol';
import type { GatewayConfig } from '../config.js';

interface Entry {
  iceServers: IceServerView[];
  /** Handed out until then: half the credentials' lifetime, so every client gets at least that half. */
  reuseUntil: number;
}

/**
 * The ICE servers of `hello`, per user (ADR 0058). TURN credentials from the media service are
 * reused for the first half of their lifetime, so a user's reconnects and extra devices cost no
 * round trip to media; bounded (ICE_CACHE_MAX_USERS, least recently used out first); replies
 * without TURN credentials and failures are not kept. The users missing in one window
 * (ICE_BATCH_WINDOW_MS, ADR 0080; a connect storm's) are asked for in one `ice.for_users`
 * request, and concurrent connects of one user share it.
 */
@Injectable()
export class IceServersCache {
  private readonly entries = new Map<string, Entry>();
  /** Users asked for in the next batch, or in one under way: concurrent connects of one user share the answer. */
  private readonly waiting = new Map<string, Promise<IceServerView[]>>();
  private readonly batcher: TurnBatcher<string, IceServerView[]>;
  /** The gateway as the caller of its own batch requests. */
  private readonly self: Caller;

  constructor(
    private readonly bus: CommandBus,
    @Inject(CONFIG) private readonly config: GatewayConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.self = serviceCaller('gateway', config.NODE_ID);
    this.batcher = new TurnBatcher({ windowMs: config.ICE_BATCH_WINDOW_MS, max: ICE_BATCH_MAX_USERS, send: (userIds) => this.fetch(userIds) });
  }

  /** The user's credentials when they are cached and may still be handed out, without asking media. */
  cached(userId: string): IceServerView[] | undefined {
    const hit = this.entries.get(userId);
    if (!hit) return undefined;
    if (hit.reuseUntil <= Date.now()) {
      this.entries.delete(userId);
      return undefined;
    }
    // Least recently used goes first: a hit moves to the end.
    this.entries.delete(userId);
    this.entries.set(userId, hit);
    return hit.iceServers;
  }

  /** Cached while half their lifetime is left, else fresh from media; STUN defaults when media does not answer quickly. */
  forUser(caller: Caller): Promise<IceServerView[]> {
    const userId = caller.userId;
    const hit = this.cached(userId);
    if (hit) return Promise.resolve(hit);
    let pending = this.waiting.get(userId);
    if (!pending) {
      pending = this.batcher.add(userId).finally(() => this.waiting.delete(userId));
      this.waiting.set(userId, pending);
    }
    return pending;
  }

  /** Users with credentials held (for tests and leak checks). */
  get size(): number {
    return this.entries.size;
  }

  /** One `ice.for_users` request; never fails: a user media did not answer for gets the STUN defaults. */
  private async fetch(userIds: string[]): Promise<BatchOutcome<IceServerView[]>[]> {
    const requested = Date.now();
    const found = new Map<string, IceServerView[]>();
    try {
      const reply = await this.bus.request('media', 'ice.for_users', this.self, { userIds }, { timeoutMs: 500 });
      for (const u of reply.users) {
        found.set(u.userId, u.iceServers);
        if (u.expiresAt) this.keep(u.userId, u.iceServers, requested + (u.expiresAt - requested) / 2);
      }
    } catch (err) {
      this.logger.debug({ err: (err as Error).message, users: userIds.length }, 'media ice.for_users unavailable, using STUN defaults');
    }
    const fallback = this.fallback;
    return userIds.map((userId) => ({ ok: found.get(userId) ?? fallback }));
  }

  /** The configured STUN defaults: what a connect gets when media does not answer, and `hello`'s while TURN is pending. */
  get fallback(): IceServerView[] {
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
