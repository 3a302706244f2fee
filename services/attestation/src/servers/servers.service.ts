import { sign } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { CONFIG } from '@switchboard/platform';
import { badRequest, rateLimited, type ServerListBody } from '@switchboard/protocol';
import type { AttestationConfig } from '../config.js';
import { SigningKeys } from '../keys/signing-keys.js';
import { ServersStore, type ServerRow } from './servers.store.js';

/** Gateway bootstrap registry: register/heartbeat, drop after SERVER_TTL_MS or on drain, signed list. */
@Injectable()
export class ServersService {
  constructor(
    private readonly store: ServersStore,
    private readonly keys: SigningKeys,
    @Inject(CONFIG) private readonly config: AttestationConfig,
  ) {}

  async register(s: { nodeId: string; endpoint: string; region: string; publicKey: string }): Promise<number> {
    if (!s.nodeId || s.nodeId.length > 128 || !/^wss?:\/\/\S+$/.test(s.endpoint) || s.endpoint.length > 512 || s.region.length > 64 || s.publicKey.length > 1024) {
      throw badRequest('server entry needs nodeId, a ws:// or wss:// endpoint, region ≤ 64 and publicKey ≤ 1024 characters');
    }
    const now = Date.now();
    if (!(await this.store.upsert({ ...s, registeredAt: now, lastSeen: now }, this.config.SERVER_MAX))) throw rateLimited(`the registry holds at most ${this.config.SERVER_MAX} servers`);
    return this.config.SERVER_TTL_MS;
  }

  remove(nodeId: string): Promise<boolean> {
    return this.store.remove(nodeId);
  }

  async list(): Promise<ServerRow[]> {
    const rows = await this.store.live(Date.now() - this.config.SERVER_TTL_MS);
    return rows.sort((a, b) => a.nodeId.localeCompare(b.nodeId));
  }

  /** The body of GET /v1/servers and the Ed25519 signature over its exact UTF-8 bytes. */
  async signedList(): Promise<{ body: string; signature: string; keyId: string }> {
    const servers = (await this.list()).map((s) => ({ nodeId: s.nodeId, endpoint: s.endpoint, region: s.region, publicKey: s.publicKey, lastSeen: s.lastSeen }));
    const content: ServerListBody = { servers, timestamp: Date.now(), keyId: this.keys.serverList.id };
    const body = JSON.stringify(content);
    const signature = sign(null, Buffer.from(body, 'utf8'), this.keys.serverList.privateKey).toString('base64url');
    return { body, signature, keyId: this.keys.serverList.id };
  }
}
