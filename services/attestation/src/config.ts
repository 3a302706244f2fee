import { grpcServiceConfigSchema } from '@switchboard/platform';
import { z } from 'zod';

const ms = (min: number, fallback: number, max = 7 * 24 * 3600_000) => z.coerce.number().int().min(min).max(max).default(fallback);
const KeyId = z.string().min(1).max(64).regex(/^[A-Za-z0-9._-]+$/, 'must match [A-Za-z0-9._-]');

export const attestationConfigSchema = grpcServiceConfigSchema.extend({
  HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(9104),
  GRPC_PORT: z.coerce.number().int().min(0).max(65535).default(50054),
  /** Build tokens, devices, references, policy. The default is the role `npm start` creates. */
  DATABASE_URL: z.string().default('postgresql://switchboard:switchboard@127.0.0.1:5432/switchboard_attestation'),

  /** Ed25519 private key (PKCS#8 PEM) signing attestation tokens; or a file holding it (mounted secret). Required in production. */
  ATTESTATION_SIGNING_KEY: z.string().optional(),
  ATTESTATION_SIGNING_KEY_FILE: z.string().optional(),
  /** `kid` of attestation tokens. */
  ATTESTATION_KEY_ID: KeyId.default('att-1'),
  /** Previous token key's public half (SPKI PEM) and kid, still accepted by gateways during a rotation. */
  ATTESTATION_PREVIOUS_PUBLIC_KEY: z.string().optional(),
  ATTESTATION_PREVIOUS_KEY_ID: KeyId.optional(),
  ATTESTATION_TOKEN_ISSUER: z.string().min(1).default('switchboard-attestation'),
  ATTESTATION_TOKEN_AUDIENCE: z.string().min(1).default('switchboard-gateway'),
  /** Lifetime of an attestation token. */
  ATTESTATION_TOKEN_TTL_S: z.coerce.number().int().min(30).max(7 * 24 * 3600).default(900),

  /** How long a challenge nonce may be answered. */
  CHALLENGE_TTL_MS: ms(1000, 60_000, 10 * 60_000),
  /** Challenges one device may request per CHALLENGE_TTL_MS window (`rate_limited` above). */
  CHALLENGE_MAX_PER_DEVICE: z.coerce.number().int().min(1).max(1000).default(10),
  /** Byte ranges per challenge and the largest range. */
  CHALLENGE_RANGES: z.coerce.number().int().min(1).max(16).default(4),
  CHALLENGE_RANGE_MAX_BYTES: z.coerce.number().int().min(16).max(1024 * 1024).default(4096),
  /** Largest reference binary (bigger uploads are refused and nothing is kept). */
  REFERENCE_MAX_BYTES: z.coerce.number().int().min(1024).max(2 * 1024 ** 3).default(100 * 1024 * 1024),

  /** Ed25519 private key (PKCS#8 PEM) signing GET /v1/servers; or a file holding it. Required in production. */
  SERVER_LIST_SIGNING_KEY: z.string().optional(),
  SERVER_LIST_SIGNING_KEY_FILE: z.string().optional(),
  /** keyId in the signed body; change it with the key so clients pick the right public key. */
  SERVER_LIST_KEY_ID: KeyId.default('servers-1'),
  /** A gateway that has not heartbeated for this long leaves the server list. */
  SERVER_TTL_MS: ms(1000, 5 * 60_000, 24 * 3600_000),
  /** Most gateways the registry holds (registrations beyond are refused). */
  SERVER_MAX: z.coerce.number().int().min(1).max(100_000).default(1000),
});

export type AttestationConfig = z.infer<typeof attestationConfigSchema>;
