import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/**
 * Compares a presented secret with an expected one in constant time. Both sides are hashed
 * first, so neither the comparison's duration nor an early length check reveals how long
 * the expected secret is or how much of it matched.
 */
export function secretEquals(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}

/** True when `presented` equals any of `expected` (each compared in constant time, none skipped). */
export function secretIn(presented: string, expected: readonly string[]): boolean {
  let found = false;
  for (const e of expected) found = secretEquals(presented, e) || found;
  return found;
}
