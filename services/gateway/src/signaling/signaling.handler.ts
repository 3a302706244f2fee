import { Injectable, type OnModuleInit } from '@nestjs/common';
import { LocalCommands } from '../commands/local.commands.js';
import { ConnectionRegistry } from '../connections/connection.registry.js';
import { EventDelivery } from '../routing/event.delivery.js';
import { SignalingService } from './signaling.service.js';

/** Registers the gateway-local signaling and pairing verbs and their delivery checks. */
@Injectable()
export class SignalingHandler implements OnModuleInit {
  constructor(
    private readonly local: LocalCommands,
    private readonly delivery: EventDelivery,
    private readonly signaling: SignalingService,
    private readonly registry: ConnectionRegistry,
  ) {}

  onModuleInit() {
    this.local.register('signal', (conn, data) => this.signaling.signal(conn, data));
    this.local.register('pair.register', (conn, data) => this.signaling.register(conn, data));
    this.local.register('pair.request', (conn, data) => this.signaling.request(conn, data));
    this.local.register('pair.accept', (conn, data) => this.signaling.answer(conn, data.requestId, true));
    this.local.register('pair.reject', (conn, data) => this.signaling.answer(conn, data.requestId, false));
    this.delivery.intercept('signal', (conn, event) => this.signaling.acceptSignal(conn, event));
    this.delivery.intercept('pair.accepted', (conn, event) => this.signaling.acceptPairing(conn, event));
    this.registry.onRemove((conn) => void this.signaling.released(conn).catch(() => undefined));
  }
}
