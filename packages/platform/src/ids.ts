import { randomBytes } from 'node:crypto';

/** Random, URL- and subject-safe id (matches the protocol's Id pattern), e.g. `r_Q2x9…`. */
export function newId(prefix: string, bytes = 12): string {
  return `${prefix}_${randomBytes(bytes).toString('base64url')}`;
}
