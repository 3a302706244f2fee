import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { fetchServers, ServerListError, verifyServerListAsync, type ServerListKey } from './servers.js';

/**
 * The WebCrypto path of the server-list check (what browsers run), with a real Ed25519 key pair:
 * every refusal reason, both key encodings, and fetchServers on a stubbed fetch.
 */
const NOW = 1_800_000_000_000;
const pair = () => generateKeyPairSync('ed25519');
const { publicKey, privateKey } = pair();
const other = pair();
const pem = (k: KeyObject) => k.export({ type: 'spki', format: 'pem' }).toString();
/** The raw 32-byte key as base64url without padding (the last 32 bytes of the SPKI DER). */
const raw = (k: KeyObject) => (k.export({ type: 'spki', format: 'der' }) as Buffer).subarray(-32).toString('base64url');
const listBody = (over: Record<string, unknown> = {}) =>
  JSON.stringify({ servers: [{ nodeId: 'n1', endpoint: 'wss://a.example', region: 'eu', publicKey: 'pk', lastSeen: NOW }], timestamp: NOW, keyId: 'k1', ...over });
const sig = (body: string, key = privateKey) => sign(null, Buffer.from(body), key).toString('base64url');
const keys: Record<string, ServerListKey> = { k1: { publicKey: pem(publicKey) } };

const reason = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ServerListError);
    return (err as ServerListError).reason;
  }
  throw new Error('expected a ServerListError');
};

describe('verifyServerListAsync (WebCrypto)', () => {
  it('accepts a fresh list signed by a trusted key, PEM or raw base64url, string or bytes', async () => {
    const body = listBody();
    expect((await verifyServerListAsync(body, sig(body), keys, { now: NOW })).servers[0].nodeId).toBe('n1');
    const rawKeys = { k1: { publicKey: raw(publicKey) } };
    expect((await verifyServerListAsync(new TextEncoder().encode(body), sig(body), rawKeys, { now: NOW + 1000 })).keyId).toBe('k1');
  });

  it('refuses: not JSON, unknown or inherited keyId, retired key, wrong signer, tampered body, schema, stale, future', async () => {
    const body = listBody();
    expect(await reason(verifyServerListAsync('{nope', sig('{nope'), keys, { now: NOW }))).toBe('malformed');
    const unknown = listBody({ keyId: 'k9' });
    expect(await reason(verifyServerListAsync(unknown, sig(unknown), keys, { now: NOW }))).toBe('unknown_key');
    const proto = listBody({ keyId: 'toString' });
    expect(await reason(verifyServerListAsync(proto, sig(proto), keys, { now: NOW }))).toBe('unknown_key');
    const retired = { k1: { publicKey: pem(publicKey), notAfter: NOW - 1 } };
    expect(await reason(verifyServerListAsync(body, sig(body), retired, { now: NOW }))).toBe('key_retired');
    expect(await reason(verifyServerListAsync(body, sig(body, other.privateKey), keys, { now: NOW }))).toBe('bad_signature');
    expect(await reason(verifyServerListAsync(body.replace('eu', 'us'), sig(body), keys, { now: NOW }))).toBe('bad_signature');
    expect(await reason(verifyServerListAsync(body, '', keys, { now: NOW }))).toBe('bad_signature');
    // A KeyObject is a Node-only form: the WebCrypto path refuses it as a bad signature.
    expect(await reason(verifyServerListAsync(body, sig(body), { k1: { publicKey: publicKey } }, { now: NOW }))).toBe('bad_signature');
    const badSchema = listBody({ servers: 'none' });
    expect(await reason(verifyServerListAsync(badSchema, sig(badSchema), keys, { now: NOW }))).toBe('malformed');
    expect(await reason(verifyServerListAsync(body, sig(body), keys, { now: NOW + 5 * 60_000 + 1 }))).toBe('stale');
    expect(await reason(verifyServerListAsync(body, sig(body), keys, { now: NOW + 1000, maxAgeMs: 999 }))).toBe('stale');
    expect(await reason(verifyServerListAsync(body, sig(body), keys, { now: NOW - 60_001 }))).toBe('future');
    // Within the tolerated skew it is accepted.
    expect((await verifyServerListAsync(body, sig(body), keys, { now: NOW - 60_000 })).timestamp).toBe(NOW);
  });
});

describe('fetchServers (stubbed fetch)', () => {
  let answer: { status: number; body: string; signature?: string };
  const asked: string[] = [];
  beforeAll(() => {
    vi.stubGlobal('fetch', async (url: URL) => {
      asked.push(url.toString());
      return new Response(answer.body, { status: answer.status, headers: answer.signature ? { 'switchboard-signature': answer.signature } : {} });
    });
  });
  afterAll(() => vi.unstubAllGlobals());

  it('GETs /v1/servers of the base and verifies the exact bytes served with the signature header', async () => {
    const body = listBody();
    answer = { status: 200, body, signature: sig(body) };
    expect((await fetchServers('https://sb.example/some/path', keys, { now: NOW })).servers).toHaveLength(1);
    expect(asked.at(-1)).toBe('https://sb.example/v1/servers');
  });

  it('a missing signature header is a bad signature; an error status is malformed', async () => {
    answer = { status: 200, body: listBody() };
    expect(await reason(fetchServers('https://sb.example', keys, { now: NOW }))).toBe('bad_signature');
    answer = { status: 503, body: 'down' };
    expect(await reason(fetchServers('https://sb.example', keys, { now: NOW }))).toBe('malformed');
  });
});
