import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import type { ServerListBody } from '@switchboard/protocol';
import { serverListBody, serverListKey, type ServerListCheckOptions, type ServerListKey } from './servers.js';

const toKey = (k: ServerListKey['publicKey']): KeyObject =>
  typeof k !== 'string' ? (k as KeyObject) : k.includes('-----BEGIN') ? createPublicKey(k) : createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: k }, format: 'jwk' });

/** verifyServerListAsync, synchronously with node:crypto (Node only; also takes KeyObjects). */
export function verifyServerList(body: string | Uint8Array, signature: string, keys: Record<string, ServerListKey>, opts: ServerListCheckOptions = {}): ServerListBody {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body);
  const key = serverListKey(bytes, keys, opts.now ?? Date.now());
  let ok = false;
  try {
    ok = verify(null, bytes, toKey(key.publicKey), Buffer.from(signature, 'base64url'));
  } catch {
    ok = false;
  }
  return serverListBody(bytes, ok, opts);
}
