import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { CONFIG, LOGGER, newId, type Logger } from '@switchboard/platform';
import { forbidden, ProtocolError, type CommandData, type HelloData, type Reply } from '@switchboard/protocol';
import type { GatewayConfig } from '../config.js';
import { AuthError, TokenVerifier, type Identity } from '../auth/token.verifier.js';
import type { Connection } from '../connections/connection.js';
import { Command, OnEvent } from '../wiring/decorators.js';
import { ConnectionRegistry } from '../connections/connection.registry.js';
import { ConnectionSlots } from '../connections/connection-slots.service.js';
import { GatewayMetrics } from '../metrics/gateway.metrics.js';
import { AttestationPolicyCache } from '../attestation/policy.cache.js';
import { PresenceReporter } from '../presence/presence.reporter.js';
import { IceServersCache } from './ice-servers.cache.js';

/** Connection lifecycle: hello, heartbeats, token expiry, and the closing notice. */
@Injectable()
export class SessionService implements OnModuleInit, OnModuleDestroy {
  private heartbeat?: NodeJS.Timeout;

  constructor(
    private readonly registry: ConnectionRegistry,
    private readonly metrics: GatewayMetrics,
    private readonly presence: PresenceReporter,
    private readonly userConns: ConnectionSlots,
    private readonly attestation: AttestationPolicyCache,
    private readonly verifier: TokenVerifier,
    private readonly ice: IceServersCache,
    @Inject(CONFIG) private readonly config: GatewayConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit() {
    // WS-level pings; a socket that misses two in a row is dead and gets dropped.
    this.heartbeat = setInterval(() => {
      for (const conn of this.registry.all()) {
        if (conn.missedPongs >= 2) {
          conn.terminate('heartbeat');
          continue;
        }
        conn.missedPongs++;
        conn.ws.ping();
      }
      const held = this.registry.all().map((c) => ({ userId: c.userId, connectionId: c.id }));
      this.userConns.refresh(held, this.slotLeaseMs).catch((err: Error) => this.logger.warn({ err: err.message }, 'could not refresh connection slots'));
    }, this.config.HEARTBEAT_MS);
  }

  /** A slot lapses after three missed refreshes: a gateway that died frees its users' slots. */
  private get slotLeaseMs(): number {
    return this.config.HEARTBEAT_MS * 3;
  }

  /** Takes one of the user's MAX_CONNECTIONS_PER_USER slots (all gateways) for a new connection; null when all are taken. */
  async admit(identity: Identity): Promise<string | null> {
    const connectionId = newId('c');
    return (await this.userConns.take(identity.userId, connectionId, this.config.MAX_CONNECTIONS_PER_USER, this.slotLeaseMs)) ? connectionId : null;
  }

  onModuleDestroy() {
    clearInterval(this.heartbeat);
  }

  opened(conn: Connection): void {
    conn.onExpiry(() => {
      conn.send({ type: 'error', error: { code: 'unauthorized', message: 'token expired' } });
      conn.close(4001, 'token expired', 'token_expired');
    });
    conn.ready = this.sendHello(conn);
    this.presence.opened(conn);
  }

  /**
   * `session.refresh` {token}: a fresh token for the live connection (like Centrifugo's
   * refresh), so a client never has to drop and resume just because its JWT expires. The
   * token must name the same user; claims other than `exp` keep their connect-time values.
   */
  @Command('session.refresh')
  async refresh(data: CommandData<'session.refresh'>, conn: Connection): Promise<Reply<'session.refresh'>> {
    let identity: Identity;
    try {
      identity = await this.verifier.verify(data.token);
    } catch (err) {
      if (err instanceof AuthError) throw new ProtocolError('unauthorized', 'invalid token');
      throw err;
    }
    if (identity.userId !== conn.userId) throw forbidden('the token names another user');
    conn.renewExpiry(identity.exp);
    return { expiresAt: identity.exp * 1000 };
  }

  /** Application-level ping. */
  @Command('ping')
  ping(): Reply<'ping'> {
    return { ts: Date.now() };
  }

  // These events have been written to the socket when reactions run: the client learns why, then the close.
  @OnEvent('session.replaced')
  replaced(conn: Connection): void {
    conn.close(4002, 'replaced', 'replaced');
  }

  @OnEvent('session.closed')
  closedByAdmin(conn: Connection): void {
    conn.close(4003, 'disconnected', 'admin_disconnect');
  }

  /**
   * Graceful drain on SIGTERM (readiness is already false): tell every client to reconnect
   * elsewhere, with jitter so they don't stampede one replica, then close what remains.
   */
  async drain(graceMs: number): Promise<void> {
    const conns = this.registry.all();
    if (conns.length === 0) return;
    this.logger.info({ connections: conns.length, graceMs }, 'draining');
    const spread = Math.max(1, Math.min(graceMs / 2, 5000));
    for (const conn of conns) {
      conn.sendOwnEvent('session.draining', { reconnectInMs: Math.floor(Math.random() * spread) });
      this.metrics.messagesOut.inc({ type: 'session.draining' });
    }
    const deadline = Date.now() + graceMs;
    while (this.registry.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    for (const conn of this.registry.all()) {
      conn.close(1012, 'server restarting', 'draining');
    }
  }

  closed(conn: Connection): void {
    this.registry.remove(conn);
    this.userConns.release(conn.userId, conn.id).catch((err: Error) => this.logger.warn({ err: err.message, connectionId: conn.id }, 'could not release a connection slot'));
    this.metrics.disconnects.inc({ reason: conn.closeReason ?? 'client' });
    // Presence turns this into `sb.sys.conn.gone` (also when this process dies without a word).
    this.presence.closed(conn);
  }

  /**
   * `hello` goes out without waiting for media when the user's TURN credentials are not cached
   * (HELLO_ICE=pending, ADR 0080): it carries the STUN defaults and `iceServersPending`, and
   * `session.ice` follows with the credentials of the next `ice.for_users` batch. A client that
   * offered `ice.on-request` gets the STUN defaults and `iceServersOnRequest` instead and asks
   * `ice.servers` when it starts a call: no media request, no second frame (ADR 0095).
   */
  private async sendHello(conn: Connection): Promise<void> {
    const cached = this.ice.cached(conn.userId);
    const onRequest = !cached && conn.iceOnRequest;
    const pending = !cached && !onRequest && this.config.HELLO_ICE === 'pending';
    const hello: HelloData = {
      connectionId: conn.id,
      userId: conn.userId,
      sessionId: conn.sessionId,
      heartbeatMs: this.config.HEARTBEAT_MS,
      iceServers: cached ?? (pending || onRequest ? this.ice.fallback : await this.ice.forUser(conn.caller())),
      ...(pending ? { iceServersPending: true as const } : {}),
      ...(onRequest ? { iceServersOnRequest: true as const } : {}),
      limits: { maxFrameBytes: this.config.MAX_FRAME_BYTES, ratePerSec: this.config.RATE_PER_SEC, burst: this.config.RATE_BURST },
      server: { version: this.config.VERSION, node: this.config.NODE_ID },
    };
    if (conn.attested) hello.attestation = { platform: conn.attested.platform, version: conn.attested.version, ...this.attestation.recommendation(conn.attested) };
    conn.sendOwnEvent('hello', hello);
    this.metrics.messagesOut.inc({ type: 'hello' });
    if (!pending) return;
    // forUser never rejects (the STUN defaults when media does not answer); hello is out first.
    void this.ice.forUser(conn.caller()).then((iceServers) => {
      if (conn.closed) return;
      conn.sendOwnEvent('session.ice', { iceServers });
      this.metrics.messagesOut.inc({ type: 'session.ice' });
    });
  }
}
