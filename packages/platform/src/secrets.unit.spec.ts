import { describe, expect, it } from 'vitest';
import { secretEquals, secretIn } from './secrets.js';

describe('secretEquals / secretIn', () => {
  it('accepts only the exact secret, whatever the length or shared prefix of a guess', () => {
    expect(secretEquals('k-0123456789', 'k-0123456789')).toBe(true);
    // Different lengths compare (as digests) instead of returning early or throwing.
    for (const guess of ['', 'k', 'k-0123456788', 'k-01234567890', 'k-0123456789 ', 'K-0123456789']) expect(secretEquals(guess, 'k-0123456789')).toBe(false);
  });

  it('checks a presented key against every configured key', () => {
    expect(secretIn('b', ['a', 'b', 'c'])).toBe(true);
    expect(secretIn('d', ['a', 'b', 'c'])).toBe(false);
    expect(secretIn('a', [])).toBe(false);
  });
});
