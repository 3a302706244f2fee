import { z } from 'zod';

/** Ids that travel in subjects and keys: no dots, wildcards or whitespace. */
export const Id = z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/, 'must match [A-Za-z0-9_-]');

const hasNul = (value: unknown): boolean => {
  if (typeof value === 'string') return value.includes('\u0000');
  if (Array.isArray(value)) return value.some(hasNul);
  if (value && typeof value === 'object') return Object.entries(value).some(([k, v]) => k.includes('\u0000') || hasNul(v));
  return false;
};

/** Stored text: Postgres cannot hold U+0000, so it is refused up front (bad_request, not internal). */
export const Text = (min: number, max: number) => z.string().min(min).max(max).refine((s) => !s.includes('\u0000'), 'must not contain U+0000');
/** Application metadata stored as JSON: any object without U+0000 in its keys or strings. */
export const Json = z.record(z.string(), z.unknown()).refine((v) => !hasNul(v), 'must not contain U+0000');
