import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonSize, LIMITS, maxJsonBytes, utf8Length } from './common.js';

const encoded = (s: string) => new TextEncoder().encode(s).length;

describe('utf8Length and jsonSize', () => {
  it('count what TextEncoder writes, for any string (lone surrogates included)', () => {
    for (const s of ['', 'a', 'é', '✓', '😀', 'a😀b', '\ud800', '\udc00x', 'x\ud800', '\udc00\ud800']) expect(utf8Length(s)).toBe(encoded(s));
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => utf8Length(s) === encoded(s)));
  });

  it('size values as the UTF-8 of their JSON, at the limit too', () => {
    fc.assert(fc.property(fc.jsonValue(), (v) => jsonSize(v) === encoded(JSON.stringify(v))));
    expect(jsonSize(undefined)).toBe(0);
    const [within] = maxJsonBytes(LIMITS.broadcastBytes);
    // Quotes add 2 bytes; '€' is 3 bytes in UTF-8.
    const euros = Math.floor((LIMITS.broadcastBytes - 2) / 3);
    expect(within('€'.repeat(euros))).toBe(true);
    expect(within('€'.repeat(euros + 1))).toBe(false);
    expect(within('😀'.repeat(Math.floor((LIMITS.broadcastBytes - 2) / 4) + 1))).toBe(false);
  });
});
