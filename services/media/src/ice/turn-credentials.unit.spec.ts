import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { turnCredentials } from './turn-credentials.js';

describe('turnCredentials', () => {
  it('follows the TURN REST scheme coturn verifies', () => {
    const now = Date.UTC(2026, 10, 28, 12, 0, 0);
    const c = turnCredentials('s3cret-s3cret-s3cret', 'alice', 3600, now);
    expect(c.username).toBe(`${now / 1000 + 3600}:alice`);
    expect(c.credential).toBe(createHmac('sha1', 's3cret-s3cret-s3cret').update(c.username).digest('base64'));
    expect(c.expiresAt).toBe(now + 3600_000);
  });

  it('differs per user and per secret', () => {
    const a = turnCredentials('secret-one-secret-one', 'a', 60, 0);
    expect(turnCredentials('secret-one-secret-one', 'b', 60, 0).credential).not.toBe(a.credential);
    expect(turnCredentials('secret-two-secret-two', 'a', 60, 0).credential).not.toBe(a.credential);
  });
});
