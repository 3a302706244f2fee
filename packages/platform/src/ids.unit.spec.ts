import { describe, expect, it } from 'vitest';
import { Id } from '@switchboard/protocol';
import { newId } from './ids.js';

describe('newId', () => {
  it('makes distinct protocol ids of the requested size across pool refills', () => {
    const ids = Array.from({ length: 2000 }, () => newId('c')); // 24 KB of randomness: several refills
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids.slice(0, 50)) {
      expect(Id.safeParse(id).success).toBe(true);
      expect(Buffer.from(id.slice(2), 'base64url')).toHaveLength(12);
    }
    expect(Buffer.from(newId('b', 9).slice(2), 'base64url')).toHaveLength(9);
    // Larger than the pool: still that many random bytes.
    expect(Buffer.from(newId('x', 5000).slice(2), 'base64url')).toHaveLength(5000);
  });
});
