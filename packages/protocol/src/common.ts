import { z } from 'zod';

/** Ids that travel in subjects and keys: no dots, wildcards or whitespace. */
export const Id = z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/, 'must match [A-Za-z0-9_-]');
export const ClientMessageId = z.string().min(1).max(64);
export const Json = z.record(z.string(), z.unknown());
export const ShortText = (max: number) => z.string().max(max);
