import { z } from 'zod';
import { Id } from './common.js';

/**
 * Device attestation, version policy and the signed server list: the HTTP bodies of
 * `/v1/attest/*` and `/v1/servers` (docs/attestation.md). Gateway, attestation service and
 * client SDK import these, so the three agree on one shape.
 */

/** Platform names: short, lower case (`ios`, `android`, `web`, `desktop-mac`). */
export const Platform = z.string().min(1).max(32).regex(/^[a-z0-9][a-z0-9_-]*$/, 'must match [a-z0-9][a-z0-9_-]*');
/** Version strings: dotted numbers with an optional suffix (`1.2.3`, `2.0.0-beta.1`). */
export const Version = z.string().min(1).max(64).regex(/^[0-9]+(\.[0-9]+)*([-+][A-Za-z0-9.-]+)?$/, 'must be a dotted version like 1.2.3');
const B64Url = (min: number, max: number) => z.string().min(min).max(max).regex(/^[A-Za-z0-9_-]+$/, 'must be base64url');

export const AttestRegisterBody = z.object({
  buildToken: z.string().min(1).max(200),
  platform: Platform,
  version: Version,
  /** Raw 32-byte Ed25519 public key, base64url (43 characters). */
  devicePublicKey: B64Url(43, 43),
});
export const AttestRegisterReply = z.object({ deviceId: Id });

export const AttestChallengeBody = z.object({ deviceId: Id });
export const ByteRangeSchema = z.object({ offset: z.number().int().min(0), length: z.number().int().min(1) });
export const AttestChallengeReply = z.object({
  /** base64url of 32 random bytes: single use, and the HMAC key. */
  nonce: B64Url(43, 43),
  ranges: z.array(ByteRangeSchema),
  expiresAt: z.number().int(),
});

export const AttestVerifyBody = z.object({
  deviceId: Id,
  nonce: B64Url(43, 43),
  /** base64url HMAC-SHA256(key = nonce bytes, message = the bytes of the ranges, in order). */
  mac: B64Url(43, 43),
  /** base64url Ed25519 signature (64 bytes) over attestSignedMessage(deviceId, nonce, mac). */
  signature: B64Url(86, 86),
});
export const AttestVerifyReply = z.object({ token: z.string(), expiresAt: z.number().int() });

/** The exact UTF-8 text a device signs in `verify`. */
export const attestSignedMessage = (deviceId: string, nonce: string, mac: string) => `sb-attest-v1.${deviceId}.${nonce}.${mac}`;

export const VersionPolicySchema = z.object({
  platform: Platform,
  /** Versions below this are refused (close 4012); null: no minimum. */
  minimum: Version.nullable(),
  /** Versions refused outright (close 4011). */
  blocked: z.array(Version).max(200),
  /** What clients should update to (`hello.attestation.recommended`); null: none. */
  recommended: Version.nullable(),
  updatedAt: z.number().int(),
});
export type VersionPolicyView = z.output<typeof VersionPolicySchema>;
export const AttestVersionsReply = z.object({ policies: z.array(VersionPolicySchema) });

export const ServerEntrySchema = z.object({ nodeId: z.string(), endpoint: z.string(), region: z.string(), publicKey: z.string(), lastSeen: z.number().int() });
/** The signed body of `GET /v1/servers`. */
export const ServerListBodySchema = z.object({ servers: z.array(ServerEntrySchema), timestamp: z.number().int(), keyId: z.string() });
export type ServerListBody = z.output<typeof ServerListBodySchema>;
/** Response header carrying the base64url Ed25519 signature over the exact body bytes. */
export const SERVER_LIST_SIGNATURE_HEADER = 'switchboard-signature';
/** A list older than this is stale: clients reject it. */
export const SERVER_LIST_MAX_AGE_MS = 5 * 60_000;

/** WebSocket close codes of the attestation check at upgrade (ATTESTATION_MODE=enforce). */
export const ATTESTATION_CLOSE = {
  /** No attestation token, or one that does not verify. */
  unattested: 4010,
  /** The client's version is on the platform's blocked list. */
  blocked: 4011,
  /** The client's version is below the platform's minimum. */
  too_old: 4012,
} as const;
export type AttestationRefusal = keyof typeof ATTESTATION_CLOSE;

/** Header carrying the attestation token on the upgrade (alternative: subprotocol `attest.<token>`). */
export const ATTESTATION_HEADER = 'switchboard-attestation';
export const ATTESTATION_PROTOCOL_PREFIX = 'attest.';

/**
 * Orders versions by their dotted numbers (missing parts are 0); a pre-release suffix
 * (`-beta`) sorts before the release, build metadata (`+x`) is ignored.
 */
export function compareVersions(a: string, b: string): number {
  const split = (v: string) => {
    const [core, pre] = v.split('+')[0]!.split(/-(.*)/s);
    return { nums: core!.split('.').map((n) => Number.parseInt(n, 10) || 0), pre: pre ?? '' };
  };
  const x = split(a);
  const y = split(b);
  for (let i = 0; i < Math.max(x.nums.length, y.nums.length); i++) {
    const d = (x.nums[i] ?? 0) - (y.nums[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  if (x.pre === y.pre) return 0;
  if (!x.pre) return 1;
  if (!y.pre) return -1;
  return x.pre < y.pre ? -1 : 1;
}

/** What a platform's policy says about one version: `ok`, or why it is refused. */
export function checkVersion(policy: Pick<VersionPolicyView, 'minimum' | 'blocked'> | undefined, version: string): 'ok' | 'blocked' | 'too_old' {
  if (!policy) return 'ok';
  if (policy.blocked.some((b) => compareVersions(b, version) === 0)) return 'blocked';
  if (policy.minimum && compareVersions(version, policy.minimum) < 0) return 'too_old';
  return 'ok';
}
