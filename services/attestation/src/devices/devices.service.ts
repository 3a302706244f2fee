import { createPublicKey, type KeyObject } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { newId } from '@switchboard/platform';
import { badRequest, forbidden } from '@switchboard/protocol';
import { BuildTokensService } from '../build-tokens/build-tokens.service.js';
import { AttestationMetrics } from '../metrics/attestation.metrics.js';
import { DevicesStore, type DeviceRow } from './devices.store.js';

/** A raw 32-byte Ed25519 public key (base64url) as a KeyObject; bad_request when it is not one. */
export function ed25519PublicKey(raw: string): KeyObject {
  if (Buffer.from(raw, 'base64url').length !== 32) throw badRequest('devicePublicKey must be a raw 32-byte Ed25519 key, base64url');
  try {
    return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw }, format: 'jwk' });
  } catch {
    throw badRequest('devicePublicKey is not an Ed25519 key');
  }
}

/** Device registration with a build token. */
@Injectable()
export class DevicesService {
  constructor(
    private readonly store: DevicesStore,
    private readonly tokens: BuildTokensService,
    private readonly metrics: AttestationMetrics,
  ) {}

  async register(input: { buildToken: string; platform: string; version: string; devicePublicKey: string }): Promise<string> {
    const token = await this.tokens.find(input.buildToken);
    // Unknown and revoked look the same to the caller (403), the metric tells them apart.
    if (!token || token.revokedAt) {
      this.metrics.registrations.inc({ outcome: token ? 'revoked_token' : 'unknown_token' });
      throw forbidden('unknown or revoked build token');
    }
    if (token.platform !== input.platform || token.version !== input.version) {
      this.metrics.registrations.inc({ outcome: 'mismatch' });
      throw forbidden('the build token is for another platform or version');
    }
    try {
      ed25519PublicKey(input.devicePublicKey);
    } catch (err) {
      this.metrics.registrations.inc({ outcome: 'bad_key' });
      throw err;
    }
    const id = newId('dev');
    await this.store.create({ id, buildTokenId: token.id, platform: token.platform, version: token.version, publicKey: input.devicePublicKey });
    this.metrics.registrations.inc({ outcome: 'ok' });
    return id;
  }

  get(id: string): Promise<DeviceRow | null> {
    return this.store.byId(id);
  }

  verified(id: string): Promise<void> {
    return this.store.verified(id);
  }
}
