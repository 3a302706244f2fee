import { Injectable } from '@nestjs/common';
import { CommandBus, unaryHandlers, type Logger } from '@switchboard/platform';
import type * as proto from '@switchboard/proto';
import { badRequest, Id, subjects } from '@switchboard/protocol';
import { LivenessService } from './liveness/liveness.service.js';
import { PresenceService } from './presence/presence.service.js';

const ADMIN_MAX_USERS = 500;
const checkId = (id: string, what: string) => {
  if (!Id.safeParse(id).success) throw badRequest(`${what} must match [A-Za-z0-9_-]{1,64}`);
};

/** gRPC entry (admin API, other services). */
@Injectable()
export class PresenceGrpcHandler {
  constructor(
    private readonly presence: PresenceService,
    private readonly liveness: LivenessService,
    private readonly bus: CommandBus,
  ) {}

  implementation(logger: Logger) {
    return unaryHandlers<proto.presence.PresenceServiceServer>(
      {
        queryPresence: async (req) => {
          if (req.userIds.length > ADMIN_MAX_USERS) throw badRequest(`at most ${ADMIN_MAX_USERS} users`);
          req.userIds.forEach((id) => checkId(id, 'userIds'));
          const map = await this.presence.query('', req.userIds);
          return { presence: Object.entries(map).map(([userId, p]) => ({ userId, status: p.status, text: p.text ?? '', lastSeen: p.lastSeen, devices: p.devices })) };
        },
        listConnections: async (req) => {
          checkId(req.userId, 'userId');
          const conns = await this.liveness.connectionsOf(req.userId);
          return { connections: conns.map(({ connectionId, userId, sessionId, nodeId, device, connectedAt }) => ({ connectionId, userId, sessionId, nodeId, device, connectedAt })) };
        },
        disconnect: (req) => this.disconnect(req),
      },
      logger,
    );
  }

  /**
   * Tells the holding gateway to close the socket, and ends the connection here at once so
   * the user goes offline even if that gateway is unreachable.
   */
  private async disconnect(req: proto.presence.DisconnectRequest): Promise<proto.presence.DisconnectResponse> {
    checkId(req.userId, 'userId');
    let conns = await this.liveness.connectionsOf(req.userId);
    if (req.connectionId) conns = conns.filter((c) => c.connectionId === req.connectionId);
    let disconnected = 0;
    for (const c of conns) {
      this.bus.publish(subjects.conn(c.connectionId), { type: 'session.closed', data: { reason: req.reason.slice(0, 200) || 'disconnected by an administrator' } });
      if (await this.liveness.end(c.connectionId, 'closed')) disconnected++;
    }
    return { disconnected };
  }
}
