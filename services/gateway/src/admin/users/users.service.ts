import { Injectable } from '@nestjs/common';
import { GrpcClients } from '../grpc-clients.js';
import type { ResultOf } from '../http/route.js';
import type { AdminRoutes } from '../routes.js';

type Presence = ResultOf<AdminRoutes['getPresence']>;

/** Admin views and actions on users, through the presence service's gRPC API. */
@Injectable()
export class AdminUsersService {
  constructor(private readonly grpc: GrpcClients) {}

  async presence(userId: string): Promise<Presence> {
    const res = await this.grpc.presence((c) => c.queryPresence, { userIds: [userId] });
    const p = res.presence.find((x) => x.userId === userId);
    return p ? { userId, status: p.status as Presence['status'], text: p.text, lastSeen: p.lastSeen, devices: p.devices } : { userId, status: 'offline', text: '', lastSeen: 0, devices: [] };
  }

  async sessions(userId: string): Promise<ResultOf<AdminRoutes['listSessions']>> {
    const res = await this.grpc.presence((c) => c.listConnections, { userId });
    return { sessions: res.connections.map(({ connectionId, userId, sessionId, device, nodeId, connectedAt }) => ({ connectionId, userId, sessionId, device, nodeId, connectedAt })) };
  }

  /** Closes one or all of the user's connections (their gateways close the sockets with 4003). */
  async disconnect(userId: string, opts: { connectionId?: string; reason?: string }): Promise<ResultOf<AdminRoutes['disconnectUser']>> {
    const res = await this.grpc.presence((c) => c.disconnect, { userId, connectionId: opts.connectionId ?? '', reason: opts.reason ?? '' });
    return { disconnected: res.disconnected };
  }
}
