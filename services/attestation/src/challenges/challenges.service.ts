import { createHmac, randomBytes, randomInt, timingSafeEqual, verify as verifySignature } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, newId } from '@switchboard/platform';
import { attestSignedMessage, conflict, forbidden, notFound, rateLimited } from '@switchboard/protocol';
import { SignJWT } from 'jose';
import type { AttestationConfig } from '../config.js';
import { DevicesService, ed25519PublicKey } from '../devices/devices.service.js';
import { SigningKeys } from '../keys/signing-keys.js';
import { AttestationMetrics } from '../metrics/attestation.metrics.js';
import { ReferencesService } from '../references/references.service.js';
import { ChallengesStore } from './challenges.store.js';

type Outcome = 'ok' | 'unknown_nonce' | 'foreign_nonce' | 'expired' | 'bad_mac' | 'bad_signature' | 'unknown_device' | 'revoked_token' | 'no_reference';

/** Random byte ranges inside a file of `size` bytes. */
export function pickRanges(size: number, count: number, maxLength: number): { offset: number; length: number }[] {
  return Array.from({ length: count }, () => {
    const length = randomInt(1, Math.min(maxLength, size) + 1);
    return { offset: randomInt(0, size - length + 1), length };
  });
}

/** Challenge (nonce + byte ranges of the reference binary) and verify (HMAC + device signature) → attestation token. */
@Injectable()
export class ChallengesService {
  constructor(
    private readonly store: ChallengesStore,
    private readonly devices: DevicesService,
    private readonly references: ReferencesService,
    private readonly keys: SigningKeys,
    private readonly metrics: AttestationMetrics,
    @Inject(CONFIG) private readonly config: AttestationConfig,
  ) {}

  async challenge(deviceId: string): Promise<{ nonce: string; ranges: { offset: number; length: number }[]; expiresAt: number }> {
    const device = await this.devices.get(deviceId);
    if (!device || device.revoked) {
      this.metrics.challenges.inc({ outcome: device ? 'revoked_token' : 'unknown_device' });
      throw device ? forbidden('the build token of this device was revoked') : notFound('no such device');
    }
    const ref = await this.references.get(device.platform, device.version);
    if (!ref) {
      this.metrics.challenges.inc({ outcome: 'no_reference' });
      throw conflict(`no reference binary for ${device.platform} ${device.version}`);
    }
    if ((await this.store.count(deviceId, this.config.CHALLENGE_TTL_MS)) > this.config.CHALLENGE_MAX_PER_DEVICE) {
      this.metrics.challenges.inc({ outcome: 'rate_limited' });
      throw rateLimited('too many challenges for this device', this.config.CHALLENGE_TTL_MS);
    }
    const nonce = randomBytes(32).toString('base64url');
    const ranges = pickRanges(ref.size, this.config.CHALLENGE_RANGES, this.config.CHALLENGE_RANGE_MAX_BYTES);
    const expiresAt = Date.now() + this.config.CHALLENGE_TTL_MS;
    await this.store.put(nonce, { deviceId, ranges, expiresAt }, this.config.CHALLENGE_TTL_MS);
    this.metrics.challenges.inc({ outcome: 'ok' });
    return { nonce, ranges, expiresAt };
  }

  async verify(input: { deviceId: string; nonce: string; mac: string; signature: string }): Promise<{ token: string; expiresAt: number }> {
    const refuse = (outcome: Outcome, message: string) => {
      this.metrics.verifications.inc({ outcome });
      return forbidden(message);
    };
    // Taken first and atomically: whatever happens next, this nonce is spent.
    const pending = await this.store.take(input.nonce);
    if (!pending) throw refuse('unknown_nonce', 'unknown, used or expired nonce');
    if (pending.expiresAt < Date.now()) throw refuse('expired', 'unknown, used or expired nonce');
    if (pending.deviceId !== input.deviceId) throw refuse('foreign_nonce', 'the nonce was issued to another device');
    const device = await this.devices.get(input.deviceId);
    if (!device) throw refuse('unknown_device', 'no such device');
    if (device.revoked) throw refuse('revoked_token', 'the build token of this device was revoked');
    const parts = await this.references.readRanges(device.platform, device.version, pending.ranges);
    if (!parts) throw refuse('no_reference', 'the reference binary is gone');
    const hmac = createHmac('sha256', Buffer.from(input.nonce, 'base64url'));
    for (const p of parts) hmac.update(p);
    const expected = hmac.digest();
    const given = Buffer.from(input.mac, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw refuse('bad_mac', 'attestation failed');
    const signed = Buffer.from(attestSignedMessage(input.deviceId, input.nonce, input.mac), 'utf8');
    let signatureOk = false;
    try {
      signatureOk = verifySignature(null, signed, ed25519PublicKey(device.publicKey), Buffer.from(input.signature, 'base64url'));
    } catch {
      signatureOk = false;
    }
    if (!signatureOk) throw refuse('bad_signature', 'attestation failed');
    const exp = Math.floor(Date.now() / 1000) + this.config.ATTESTATION_TOKEN_TTL_S;
    const token = await new SignJWT({ platform: device.platform, version: device.version })
      .setProtectedHeader({ alg: 'EdDSA', kid: this.keys.token.id, typ: 'JWT' })
      .setSubject(device.id)
      .setIssuer(this.config.ATTESTATION_TOKEN_ISSUER)
      .setAudience(this.config.ATTESTATION_TOKEN_AUDIENCE)
      .setIssuedAt()
      .setJti(newId('att'))
      .setExpirationTime(exp)
      .sign(this.keys.token.privateKey);
    await this.devices.verified(device.id);
    this.metrics.verifications.inc({ outcome: 'ok' });
    return { token, expiresAt: exp * 1000 };
  }
}
