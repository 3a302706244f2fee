import { randomUUID } from 'node:crypto';
import { Inject } from '@nestjs/common';
import { WebSocketGateway, type OnGatewayConnection, type OnGatewayDisconnect } from '@nestjs/websockets';
import { CONFIG, LOGGER, newId, type Logger } from '@switchboard/platform';
import { ATTESTATION_CLOSE } from '@switchboard/protocol';
import type WebSocket from 'ws';
import type { GatewayConfig } from '../config.js';
import { asksIceOnRequest } from '../auth/credentials.js';
import { CommandRouter } from '../commands/command.router.js';
import { Connection } from '../connections/connection.js';
import { ConnectionRegistry } from '../connections/connection.registry.js';
import { GatewayMetrics } from '../metrics/gateway.metrics.js';
import { SessionService } from '../session/session.service.js';
import type { AuthedRequest } from './gateway-ws.adapter.js';

type SocketState = WebSocket & { sbConnection?: Connection };

/** The WebSocket edge: wires sockets to connections; logic lives in the services it calls. */
@WebSocketGateway({ path: '/ws' })
export class ClientGateway implements OnGatewayConnection, OnGatewayDisconnect {
  constructor(
    private readonly registry: ConnectionRegistry,
    private readonly router: CommandRouter,
    private readonly session: SessionService,
    private readonly metrics: GatewayMetrics,
    @Inject(CONFIG) private readonly config: GatewayConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  handleConnection(ws: SocketState, req: AuthedRequest) {
    const identity = req.sbIdentity;
    if (!identity) return ws.close(4001, 'unauthorized');
    const verdict = req.sbAttestation;
    if (verdict && verdict.result !== 'ok') {
      this.logger.info({ user: identity.userId, result: verdict.result, reason: verdict.reason, client: verdict.client, mode: this.config.ATTESTATION_MODE }, 'attestation check failed');
      if (this.config.ATTESTATION_MODE === 'enforce') {
        this.metrics.connects.inc({ result: `attestation_${verdict.result}` });
        // A close reason is at most 123 bytes; versions are ASCII (protocol Version pattern).
        return ws.close(ATTESTATION_CLOSE[verdict.result], verdict.reason.slice(0, 123));
      }
    }
    this.metrics.connects.inc({ result: 'ok' });
    const conn = new Connection(
      req.sbConnectionId ?? newId('c'),
      randomUUID(),
      identity,
      this.config.NODE_ID,
      ws,
      { perSec: this.config.RATE_PER_SEC, burst: this.config.RATE_BURST },
      { maxBufferedBytes: this.config.OUTBOUND_MAX_BYTES, closeGraceMs: this.config.OUTBOUND_CLOSE_GRACE_MS, writes: this.config.WS_WRITES },
    );
    ws.sbConnection = conn;
    if (verdict?.client) conn.attested = verdict.client;
    conn.iceOnRequest = asksIceOnRequest(req);
    this.registry.add(conn);
    // The connection's subprotocol decides the encoding, not the frame's opcode.
    ws.on('message', (data: Buffer) => {
      void this.router.route(conn, data);
    });
    ws.on('pong', () => {
      conn.missedPongs = 0;
    });
    ws.on('error', (err) => this.logger.debug({ err: err.message, connectionId: conn.id }, 'socket error'));
    this.session.opened(conn);
  }

  handleDisconnect(ws: SocketState) {
    const conn = ws.sbConnection;
    if (!conn || conn.closed) return;
    this.session.closed(conn);
  }
}
