import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, encodeEvent, LOGGER, NATS, newId, RequestError, WindowCounter, type Logger, type NatsConnection } from '@switchboard/platform';
import { badRequest, forbidden, isErrorCode, notFound, ProtocolError, rateLimited, subjects, type CommandData } from '@switchboard/protocol';
import type { GatewayConfig } from '../config.js';
import { eventData, type Connection, type DeliveredEvent } from '../connections/connection.js';
import { PairingStore } from './pairing.store.js';

/**
 * P2P signaling and pairing. Authorization needs no database: the sender's replica checks
 * the sender (in the room, or paired), the target's replica checks the target, and the
 * signal travels as a NATS request to the target connection's subject so the sender learns
 * the verdict (or `not_found` when no replica holds that connection).
 */
@Injectable()
export class SignalingService {
  constructor(
    @Inject(NATS) private readonly nc: NatsConnection,
    private readonly pairing: PairingStore,
    private readonly limits: WindowCounter,
    @Inject(CONFIG) private readonly config: GatewayConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async signal(conn: Connection, data: CommandData<'signal'>): Promise<Record<string, never>> {
    if (data.to === conn.id) throw badRequest('cannot signal yourself');
    if (data.roomId) {
      if (conn.rooms.get(data.roomId)?.lastSeq == null) throw forbidden('you are not in this room');
    } else if (!conn.paired.has(data.to)) {
      throw forbidden('signal needs a shared room (roomId) or an accepted pairing');
    }
    await this.sendTo(data.to, 'signal', data.roomId, { from: conn.id, fromUser: conn.userId, roomId: data.roomId, kind: data.kind, payload: data.payload });
    return {};
  }

  /** Runs on the target's replica before the client sees the signal. */
  acceptSignal(target: Connection, event: DeliveredEvent): string {
    const data = eventData(event) as { from: string; roomId?: string };
    const allowed = data.roomId ? target.rooms.get(data.roomId)?.lastSeq != null : target.paired.has(data.from);
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

  private async sendTo(connectionId: string, type: string, roomId: string | undefined, data: unknown): Promise<void> {
    let verdict: string;
    try {
      const reply = await this.nc.request(subjects.conn(connectionId), encodeEvent({ type, roomId, data }), { timeout: this.config.REQUEST_TIMEOUT_MS });
      verdict = reply.string();
    } catch (err) {
      if (err instanceof RequestError && err.isNoResponders()) throw notFound('that connection is not connected');
      throw new ProtocolError('unavailable', 'the target did not answer in time');
    }
    if (verdict === 'ok') return;
    throw new ProtocolError(isErrorCode(verdict) ? verdict : 'internal', verdict === 'forbidden' ? 'the target is not in that room or not paired with you' : 'signal not delivered');
  }
}
