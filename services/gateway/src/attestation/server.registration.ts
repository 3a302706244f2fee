import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { CONFIG, LOGGER, type Logger } from '@switchboard/platform';
import { GrpcClients } from '../admin/grpc-clients.js';
import type { GatewayConfig } from '../config.js';

/**
 * Puts this replica in the server bootstrap list: registers {endpoint, region, publicKey}
 * when PUBLIC_URL is set, heartbeats every SERVER_HEARTBEAT_MS and deregisters on drain. A
 * replica that dies silently leaves the list after the attestation service's SERVER_TTL_MS.
 */
@Injectable()
export class ServerRegistration implements OnApplicationBootstrap, OnModuleDestroy {
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly grpc: GrpcClients,
    @Inject(CONFIG) private readonly config: GatewayConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap() {
    if (!this.config.PUBLIC_URL) return;
    void this.beat();
    this.timer = setInterval(() => void this.beat(), this.config.SERVER_HEARTBEAT_MS);
    this.timer.unref();
  }

  private async beat() {
    if (this.stopped) return;
    try {
      await this.grpc.attestation((c) => c.registerServer, {
        server: { nodeId: this.config.NODE_ID, endpoint: this.config.PUBLIC_URL!, region: this.config.REGION, publicKey: this.config.SERVER_PUBLIC_KEY, registeredAt: 0, lastSeen: 0 },
      });
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'server registry heartbeat failed');
    }
  }

  /** Called when draining starts: new clients should stop picking this replica. */
  async deregister() {
    this.stopped = true;
    clearInterval(this.timer);
    if (!this.config.PUBLIC_URL) return;
    await this.grpc.attestation((c) => c.deregisterServer, { nodeId: this.config.NODE_ID }).catch((err) => this.logger.warn({ err: (err as Error).message }, 'server deregistration failed'));
  }

  onModuleDestroy() {
    clearInterval(this.timer);
  }
}
