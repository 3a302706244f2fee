import { ERROR_CODES } from '@switchboard/protocol';
import { z } from 'zod';

export const AUDIT_ACTIONS = [
  'token.mint',
  'admin_token.mint',
  'admin_token.revoke',
  'room.close',
  'room.kick',
  'room.ban',
  'user.disconnect',
  'attestation.build_token.create',
  'attestation.build_token.revoke',
  'attestation.reference.upload',
  'attestation.reference.delete',
  'attestation.policy.set',
  'attestation.policy.delete',
  'server.remove',
  'sfu.mute',
  'sfu.remove',
  'attachment.delete',
  'emoji.delete',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export const AuditEntrySchema = z.object({
  id: z.string(),
  ts: z.number().int().describe('milliseconds since the Unix epoch'),
  actor: z.string().describe('`key:<first 4 chars>…` for an API key, `admin:<sub>` for an admin JWT'),
  action: z.enum(AUDIT_ACTIONS),
  target: z.string(),
  details: z.record(z.string(), z.unknown()),
  outcome: z.union([z.literal('ok'), z.enum(ERROR_CODES)]).describe('`ok` or the error code the caller got'),
});
export type AuditEntry = z.output<typeof AuditEntrySchema>;

export const AuditQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  action: z.enum(AUDIT_ACTIONS).optional(),
  actor: z.string().min(1).max(80).optional(),
});

export const AuditPage = z.object({ entries: z.array(AuditEntrySchema).describe('newest first') });
