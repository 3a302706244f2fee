import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { LOGGER, NATS, type Logger, type NatsConnection, type Subscription } from '@switchboard/platform';
import type { CommandData, Reply } from '@switchboard/protocol';
import type { Connection, DeliveredEvent } from '../connections/connection.js';
import { Command, InterceptEvent, OnConnectionClosed } from '../wiring/decorators.js';
import { SignalingService } from './signaling.service.js';

/**
 * Entry points of signaling and pairing: the gateway-local verbs, the checks on `signal` and
 * `pair.accepted` events arriving over NATS for a local connection, this replica's inbox of
 * delivery reports on published candidates, and cleanup at close.
 */
@Injectable()
export class SignalingHandler implements OnModuleInit, OnModuleDestroy {
  private reports?: Subscription;

  constructor(
    private readonly signaling: SignalingService,
    @Inject(NATS) private readonly nc: NatsConnection,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit() {
    const subject = `${this.signaling.reportBase}.>`;
    this.reports = this.nc.subscribe(subject, { callback: (err, msg) => (err ? this.logger.warn({ err, subject }, 'subscription error') : this.signaling.report(msg)) });
  }

  onModuleDestroy() {
    this.reports?.unsubscribe();
  }

  @Command('signal')
  signal(data: CommandData<'signal'>, conn: Connection): Promise<Reply<'signal'>> {
    return this.signaling.signal(conn, data);
  }

  @Command('pair.register')
  register(data: CommandData<'pair.register'>, conn: Connection): Promise<Reply<'pair.register'>> {
    return this.signaling.register(conn, data);
  }

  @Command('pair.request')
  request(data: CommandData<'pair.request'>, conn: Connection): Promise<Reply<'pair.request'>> {
    return this.signaling.request(conn, data);
  }

  @Command('pair.accept')
  accept(data: CommandData<'pair.accept'>, conn: Connection): Promise<Reply<'pair.accept'>> {
    return this.signaling.answer(conn, data.requestId, true);
  }

  @Command('pair.reject')
  reject(data: CommandData<'pair.reject'>, conn: Connection): Promise<Reply<'pair.reject'>> {
    return this.signaling.answer(conn, data.requestId, false);
  }

  @InterceptEvent('signal')
  acceptSignal(conn: Connection, event: DeliveredEvent): string | Promise<string> {
    return this.signaling.acceptSignal(conn, event);
  }

  @InterceptEvent('pair.accepted')
  acceptPairing(conn: Connection, event: DeliveredEvent): string | Promise<string> {
    return this.signaling.acceptPairing(conn, event);
  }

  @OnConnectionClosed()
  released(conn: Connection): Promise<void> {
    return this.signaling.released(conn);
  }
}
