import { z } from 'zod';
import { Id } from './common.js';

/**
 * `sb.sys.conn.gone`: presence's notice that a connection is gone (closed, or its gateway died).
 * Published by presence, consumed by rooms (seats) and media (calls, chunk sources).
 */
export const ConnGone = z.object({
  connectionId: Id,
  userId: Id,
  sessionId: z.string().max(64).default(''),
  nodeId: z.string().max(128).default(''),
  reason: z.string().max(200).default(''),
});
export type ConnGone = z.output<typeof ConnGone>;

/** Topic of `sb.sys.attestation.policy`: attestation's notice that a platform's version policy changed. */
export const ATTESTATION_POLICY_CHANGED = 'attestation.policy';
/** Body of `sb.sys.attestation.policy`: every gateway refetches that platform's policy. */
export const AttestationPolicyChanged = z.object({ platform: z.string().max(32) });
export type AttestationPolicyChanged = z.output<typeof AttestationPolicyChanged>;
