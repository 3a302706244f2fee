import { createPublicKey, type KeyObject } from 'node:crypto';
import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { CommandBus, CONFIG, LOGGER, type Logger, type Subscription } from '@switchboard/platform';
import { attestation } from '@switchboard/proto';
import { ATTESTATION_POLICY_CHANGED, checkVersion, compareVersions, subjects, type AttestationRefusal, type VersionPolicyView } from '@switchboard/protocol';
import { jwtVerify, type JWTVerifyGetKey } from 'jose';
import { GrpcClients } from '../admin/grpc-clients.js';
import type { GatewayConfig } from '../config.js';

const MAX_TOKEN_CHARS = 4096;
/** An unknown `kid` refetches the keys at most this often. */
const UNKNOWN_KID_COOLDOWN_MS = 10_000;

/** A policy as gRPC carries it → as the protocol shows it (empty strings are null). */
export const policyView = (p: attestation.VersionPolicy): VersionPolicyView => ({ platform: p.platform, minimum: p.minimum || null, blocked: p.blocked, recommended: p.recommended || null, updatedAt: p.updatedAt });

export interface AttestedClient {
  deviceId: string;
  platform: string;
  version: string;
}

export type Verdict = { result: 'ok'; client: AttestedClient } | { result: AttestationRefusal; reason: string; client?: AttestedClient };

/**
 * The gateway's copy of the version policy and the attestation token keys, fetched over gRPC
 * at start, on every `sb.sys.attestation.policy` notice and every ATTESTATION_REFRESH_MS.
 * Checks the attestation token of an upgrade against them without a round trip.
 */
@Injectable()
export class AttestationPolicyCache implements OnModuleInit, OnModuleDestroy {
  private policies = new Map<string, VersionPolicyView>();
  private keys = new Map<string, KeyObject>();
  private issuer = '';
  private audience = '';
  private loaded = false;
  private timer?: NodeJS.Timeout;
  private sub?: Subscription;
  private lastKidRefresh = 0;
  private inflight?: Promise<void>;

  constructor(
    private readonly grpc: GrpcClients,
    private readonly bus: CommandBus,
    @Inject(CONFIG) private readonly config: GatewayConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onModuleInit() {
    this.sub = this.bus.nc.subscribe(subjects.system(ATTESTATION_POLICY_CHANGED), { callback: () => void this.refresh() });
    this.timer = setInterval(() => void this.refresh(), this.config.ATTESTATION_REFRESH_MS);
    this.timer.unref();
    if (this.config.ATTESTATION_MODE !== 'off') await this.refresh();
  }

  onModuleDestroy() {
    clearInterval(this.timer);
    this.sub?.unsubscribe();
  }

  /** Refetches policy and keys; failures keep the last copy (logged). */
  refresh(): Promise<void> {
    return (this.inflight ??= (async () => {
      try {
        const res = await this.grpc.attestation((c) => c.getPolicies, {});
        this.policies = new Map(res.policies.map((p) => [p.platform, policyView(p)]));
        this.keys = new Map(res.tokenKeys.map((k) => [k.kid, createPublicKey({ key: JSON.parse(k.jwk), format: 'jwk' })]));
        this.issuer = res.tokenIssuer;
        this.audience = res.tokenAudience;
        this.loaded = true;
      } catch (err) {
        this.logger.warn({ err: (err as Error).message, loaded: this.loaded }, 'attestation policy refresh failed');
      } finally {
        this.inflight = undefined;
      }
    })());
  }

  policy(platform: string): VersionPolicyView | undefined {
    return this.policies.get(platform);
  }

  all(): VersionPolicyView[] {
    return [...this.policies.values()];
  }

  /** What hello tells an attested client about updates. */
  recommendation(client: AttestedClient): { recommended: string | null; updateRecommended: boolean } {
    const recommended = this.policy(client.platform)?.recommended ?? null;
    return { recommended, updateRecommended: recommended !== null && compareVersions(client.version, recommended) < 0 };
  }

  /** The verdict on an upgrade's attestation token (undefined: none presented). */
  async check(token: string | undefined): Promise<Verdict> {
    if (!token) return { result: 'unattested', reason: 'attestation token required' };
    const client = await this.verifyToken(token);
    if (!client) return { result: 'unattested', reason: 'invalid attestation token' };
    const r = checkVersion(this.policy(client.platform), client.version);
    if (r === 'ok') return { result: 'ok', client };
    return { result: r, client, reason: r === 'blocked' ? `version ${client.version} is blocked` : `version ${client.version} is below the minimum ${this.policy(client.platform)?.minimum}` };
  }

  private async verifyToken(token: string): Promise<AttestedClient | undefined> {
    if (token.length > MAX_TOKEN_CHARS) return undefined;
    if (!this.loaded) await this.refresh();
    const getKey: JWTVerifyGetKey = async (header) => {
      let key = header.kid ? this.keys.get(header.kid) : undefined;
      if (!key && Date.now() - this.lastKidRefresh > UNKNOWN_KID_COOLDOWN_MS) {
        this.lastKidRefresh = Date.now();
        await this.refresh();
        key = header.kid ? this.keys.get(header.kid) : undefined;
      }
      if (!key) throw new Error('unknown attestation key');
      return key;
    };
    try {
      const { payload } = await jwtVerify(token, getKey, { algorithms: ['EdDSA'], issuer: this.issuer, audience: this.audience, requiredClaims: ['sub', 'exp'] });
      if (typeof payload.platform !== 'string' || typeof payload.version !== 'string') return undefined;
      return { deviceId: payload.sub!, platform: payload.platform, version: payload.version };
    } catch {
      return undefined;
    }
  }
}
