import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, encodeEvent, LOGGER, NATS, natsInboxPrefix, newId, RequestError, WindowCounter, type Logger, type Msg, type NatsConnection } from '@switchboard/platform';
import { badRequest, forbidden, isErrorCode, notFound, ProtocolError, rateLimited, SignalKind, subjects, type CommandData, type ConnectionEvent, type EventData } from '@switchboard/protocol';
import type { GatewayConfig } from '../config.js';
import { eventData, type Connection, type DeliveredEvent } from '../connections/connection.js';
import { ConnectionRegistry } from '../connections/connection.registry.js';
import { GatewayMetrics } from '../metrics/gateway.metrics.js';
import { REFUSALS_ONLY } from '../routing/subscriptions.js';
import { PairingStore } from './pairing.store.js';
import { TrustedTargets } from './trusted-targets.js';

const SIGNAL_KINDS: ReadonlySet<string> = new Set(SignalKind.options);

/** The typed error of a target replica's verdict (or of no replica holding the target). */
function refusal(verdict: string): ProtocolError {
  if (verdict === 'not_found') return notFound('that connection is not connected');
  return new ProtocolError(isErrorCode(verdict) ? verdict : 'internal', verdict === 'forbidden' ? 'the target is not in that room or not paired with you' : 'signal not delivered');
}

/**
 * P2P signaling and pairing. Authorization needs no database: the sender's replica checks
 * the sender (in the room, or paired), the target's replica checks the target, and the
 * signal travels as a NATS request to the target connection's subject so the sender learns
 * the verdict (or `not_found` when no replica holds that connection).
 *
 * Signals to a target that accepted a signal from the same connection moments before are
 * published instead (ADR 0056 for ICE candidates, ADR 0066 for every kind): their reply
 * subject is this replica's report inbox, which the target's replica answers only with a
 * refusal and NATS answers with "no responders" when nobody holds the target; either becomes
 * `signal.failed`.
 */
@Injectable()
export class SignalingService {
  /** This replica's delivery report inbox: `<base>.<kind>.<from>.<to>[.<roomId>]` (ids are [A-Za-z0-9_-]). */
  readonly reportBase: string;
  private readonly trusted = new WeakMap<Connection, TrustedTargets>();
  constructor(
    @Inject(NATS) private readonly nc: NatsConnection,
    private readonly pairing: PairingStore,
    private readonly limits: WindowCounter,
    private readonly registry: ConnectionRegistry,
    private readonly metrics: GatewayMetrics,
    @Inject(CONFIG) private readonly config: GatewayConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    // Inside the NATS user's own inbox prefix: the only inbox its permissions let it read (as StreamAcks does).
    this.reportBase = `${natsInboxPrefix(config.NATS_USER ?? 'gateway')}.${REFUSALS_ONLY}.${newId('sr', 9)}`;
  }

  async signal(conn: Connection, data: CommandData<'signal'>): Promise<Record<string, never>> {
    if (data.to === conn.id) throw badRequest('cannot signal yourself');
    if (data.roomId) {
      if (conn.rooms.get(data.roomId)?.lastSeq == null) throw forbidden('you are not in this room');
    } else if (!conn.paired.has(data.to)) {
      throw forbidden('signal needs roomId (a room you both are in) unless the two connections are paired');
    }
    const body: EventData<'signal'> = { from: conn.id, fromUser: conn.userId, roomId: data.roomId, kind: data.kind, payload: data.payload };
    const event = encodeEvent({ type: 'signal', roomId: data.roomId, data: body }, 'conn');
    const key = TrustedTargets.key(data.to, data.roomId);
    const trusted = this.trustedOf(conn);
    // Any kind, not only candidates (ADR 0066): the first signal to a (target, room) asks, the rest of the negotiation is published.
    if (trusted.has(key)) {
      const reply = `${this.reportBase}.${data.kind}.${conn.id}.${data.to}${data.roomId ? `.${data.roomId}` : ''}`;
      // At once: the NATS connection already writes a turn's messages together (NATS_WRITES=turn, ADR 0082).
      // A batch of our own in `setImmediate` (ADR 0067) handed them to nats.js in the check phase, so its
      // per-turn write waited for the next turn: one more event-loop iteration per published signal.
      this.nc.publish(subjects.conn(data.to), event, { reply });
      this.metrics.signals.inc({ mode: 'published' });
      return {};
    }
    this.metrics.signals.inc({ mode: 'request' });
    try {
      await this.ask(data.to, event);
    } catch (err) {
      trusted.drop(key);
      throw err;
    }
    trusted.trust(key);
    return {};
  }

  /**
   * A message on this replica's report inbox: a target replica's refusal of a published
   * candidate, or NATS's "no responders" (status 503) when no replica held the target. The
   * sender learns it as `signal.failed`, and its next candidate to that target asks again.
   */
  report(msg: Msg): void {
    if (!msg.subject.startsWith(`${this.reportBase}.`)) return;
    const [kind, from, to, roomId, extra] = msg.subject.slice(this.reportBase.length + 1).split('.');
    if (!kind || !SIGNAL_KINDS.has(kind) || !from || !to || extra !== undefined) return;
    const noResponders = msg.data.length === 0 && msg.headers?.code === 503;
    const verdict = noResponders ? 'not_found' : msg.string();
    // 'ok' only from a replica that predates refusal-only replies: nothing to report.
    if (verdict === 'ok') return;
    const sender = this.registry.get(from);
    if (!sender) return;
    const trusted = this.trustedOf(sender);
    if (noResponders) trusted.dropTarget(to);
    else trusted.drop(TrustedTargets.key(to, roomId));
    const err = refusal(verdict);
    const code = err.code === 'forbidden' || err.code === 'not_found' ? err.code : 'internal';
    this.metrics.signals.inc({ mode: 'refused' });
    sender.sendOwnEvent('signal.failed', { to, ...(roomId ? { roomId } : {}), kind: kind as CommandData<'signal'>['kind'], code, message: err.message });
  }

  /** How many (target, room) pairs a connection's candidates currently skip the round trip to. */
  trustedCount(conn: Connection): number {
    return this.trusted.get(conn)?.size ?? 0;
  }

  private trustedOf(conn: Connection): TrustedTargets {
    let t = this.trusted.get(conn);
    if (!t) this.trusted.set(conn, (t = new TrustedTargets(this.config.SIGNAL_TRUSTED_TARGETS, this.config.SIGNAL_TRUST_MS)));
    return t;
  }

  /** Runs on the target's replica before the client sees the signal. */
  acceptSignal(target: Connection, event: DeliveredEvent): string {
    // The envelope carries the signal's room (set by the sender's replica): no parse of the payload for room signals.
    const allowed = event.roomId ? target.rooms.get(event.roomId)?.lastSeq != null : target.paired.has((eventData(event) as { from: string }).from);
    if (!allowed) return 'forbidden';
    return target.sendEvent(event) ? 'ok' : 'not_found';
  }

  async register(conn: Connection, data: CommandData<'pair.register'>): Promise<{ code: string }> {
    const existing = await this.pairing.codeOf(conn.id);
    if (existing) {
      // Re-registering keeps the code; a new publicKey replaces the old one, none keeps it.
      if (data?.publicKey !== undefined) await this.pairing.update({ code: existing, connectionId: conn.id, userId: conn.userId, publicKey: data.publicKey });
      return { code: existing };
    }
    const entry = await this.pairing.register({ connectionId: conn.id, userId: conn.userId, publicKey: data?.publicKey });
    this.logger.info({ connectionId: conn.id, code: entry.code }, 'pairing code registered');
    return { code: entry.code };
  }

  async request(conn: Connection, data: CommandData<'pair.request'>): Promise<{ requestId: string }> {
    // Guessing codes: a user's failed lookups are limited across all gateways.
    const window = this.config.PAIR_LIMIT_WINDOW_MS;
    const failedKey = `gw:pair_miss:${conn.userId}`;
    const failed = await this.limits.peek(failedKey, window);
    if (failed.count >= this.config.PAIR_MAX_FAILED_LOOKUPS) throw rateLimited('too many unknown pairing codes; try again later', failed.resetsInMs);
    const owner = await this.pairing.lookup(data.code);
    if (!owner) {
      await this.limits.hit(failedKey, window);
      throw notFound('no such pairing code');
    }
    if (owner.connectionId === conn.id) throw badRequest('that is your own code');
    // A code's owner gets at most so many requests per window, whoever sends them.
    const toTarget = await this.limits.hit(`gw:pair_to:${owner.connectionId}`, window);
    if (toTarget.count > this.config.PAIR_MAX_REQUESTS_PER_TARGET) throw rateLimited('this code has had too many pairing requests; try again later', toTarget.resetsInMs);
    const mine = await this.pairing.codeOf(conn.id);
    const myKey = mine ? (await this.pairing.lookup(mine))?.publicKey : undefined;
    const requestId = newId('pr');
    await this.pairing.saveRequest({ requestId, from: conn.id, fromUser: conn.userId, fromPublicKey: myKey, to: owner.connectionId, toUser: owner.userId });
    try {
      await this.sendTo(owner.connectionId, 'pair.requested', undefined, { requestId, from: conn.id, fromUser: conn.userId, publicKey: myKey, message: data.message });
    } catch (err) {
      // The owner's replica is gone without cleanup: the code is stale.
      if (err instanceof ProtocolError && err.code === 'not_found') await this.pairing.release(owner.connectionId);
      throw err;
    }
    return { requestId };
  }

  async answer(conn: Connection, requestId: string, accept: boolean): Promise<Record<string, never>> {
    const req = await this.pairing.peekRequest(requestId);
    if (!req || req.to !== conn.id) throw notFound('no such pairing request');
    if (!(await this.pairing.takeRequest(requestId))) throw notFound('no such pairing request');
    if (accept) {
      conn.paired.add(req.from);
      const mine = await this.pairing.lookup((await this.pairing.codeOf(conn.id)) ?? '');
      await this.sendTo(req.from, 'pair.accepted', undefined, { requestId, peer: conn.id, peerUser: conn.userId, publicKey: mine?.publicKey });
    } else {
      await this.sendTo(req.from, 'pair.rejected', undefined, { requestId });
    }
    return {};
  }

  /** Runs on the requester's replica: an accepted pairing lets it signal the peer. */
  acceptPairing(requester: Connection, event: DeliveredEvent): string {
    requester.paired.add((eventData(event) as { peer: string }).peer);
    return requester.sendEvent(event) ? 'ok' : 'not_found';
  }

  async released(conn: Connection): Promise<void> {
    await this.pairing.release(conn.id);
  }

  private sendTo<E extends ConnectionEvent>(connectionId: string, type: E, roomId: string | undefined, data: EventData<E>): Promise<void> {
    return this.ask(connectionId, encodeEvent({ type, roomId, data }, 'conn'));
  }

  /** An encoded event as a request to one connection's subject: resolves when its replica took it, else the typed refusal. */
  private async ask(connectionId: string, event: Uint8Array): Promise<void> {
    let verdict: string;
    try {
      const reply = await this.nc.request(subjects.conn(connectionId), event, { timeout: this.config.REQUEST_TIMEOUT_MS });
      verdict = reply.string();
    } catch (err) {
      if (err instanceof RequestError && err.isNoResponders()) throw refusal('not_found');
      throw new ProtocolError('unavailable', 'the target did not answer in time');
    }
    if (verdict !== 'ok') throw refusal(verdict);
  }
}
