import { Platform, Version, VersionPolicySchema } from '@switchboard/protocol';
import { z } from 'zod';

const at = z.number().int().describe('milliseconds since the Unix epoch');

export const BuildTokenSchema = z.object({
  id: z.string(),
  platform: z.string(),
  version: z.string(),
  label: z.string(),
  createdAt: at,
  revokedAt: at.nullable().describe('null while the token is valid'),
});
export const CreateBuildTokenBody = z.object({ platform: Platform, version: Version, label: z.string().max(200).default('') });
export const CreatedBuildToken = z.object({ buildToken: BuildTokenSchema, token: z.string().describe('the secret: shown only in this response, stored only as its SHA-256') });
export const BuildTokenParams = z.object({ tokenId: z.string().min(1).max(64) });
export const PlatformQuery = z.object({ platform: Platform.optional() });
export const BuildTokenList = z.object({ buildTokens: z.array(BuildTokenSchema).describe('newest first, at most 500') });
export const BuildTokenRevoked = z.object({ buildToken: BuildTokenSchema });

export const ReferenceSchema = z.object({ platform: z.string(), version: z.string(), size: z.number().int(), sha256: z.string().describe('hex SHA-256 of the bytes'), uploadedAt: at });
export const ReferenceParams = z.object({ platform: Platform, version: Version });
export const UploadedReference = z.object({ reference: ReferenceSchema, replaced: z.boolean().describe('an earlier upload of this platform and version was replaced') });
export const ReferenceList = z.object({ references: z.array(ReferenceSchema) });
export const Deleted = z.object({ deleted: z.literal(true) });

export const PolicyParams = z.object({ platform: Platform });
export const SetPolicyBody = z.object({
  minimum: Version.nullable().default(null).describe('versions below are refused (close 4012)'),
  blocked: z.array(Version).max(200).default([]).describe('versions refused outright (close 4011)'),
  recommended: Version.nullable().default(null).describe('sent in hello so clients can suggest an update'),
});
export const PolicyOut = z.object({ policy: VersionPolicySchema });
export const PolicyList = z.object({ policies: z.array(VersionPolicySchema) });

export const AdminServerSchema = z.object({ nodeId: z.string(), endpoint: z.string(), region: z.string(), publicKey: z.string(), registeredAt: at, lastSeen: at });
export const ServerParams = z.object({ nodeId: z.string().min(1).max(128) });
export const ServerList = z.object({ servers: z.array(AdminServerSchema) });
export const ServerRemoved = z.object({ removed: z.literal(true) });
