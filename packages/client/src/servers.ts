import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { SERVER_LIST_MAX_AGE_MS, SERVER_LIST_SIGNATURE_HEADER, ServerListBodySchema, type ServerListBody } from '@switchboard/protocol';

/** A key a client trusts for the server list: the Ed25519 public key, and when it stops being accepted. */
export interface ServerListKey {
  /** SPKI PEM, raw 32-byte key as base64url, or a KeyObject. */
  publicKey: string | KeyObject;
  /** Milliseconds since the Unix epoch after which lists signed with this key are refused (end of a rotation window). */
  notAfter?: number;
}

export class ServerListError extends Error {
  constructor(
    readonly reason: 'malformed' | 'unknown_key' | 'key_retired' | 'bad_signature' | 'stale' | 'future',
    message: string,
  ) {
    super(message);
    this.name = 'ServerListError';
  }
}

const toKey = (k: string | KeyObject): KeyObject =>
  typeof k !== 'string' ? k : k.includes('-----BEGIN') ? createPublicKey(k) : createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: k }, format: 'jwk' });

/** Tolerated clock skew for a timestamp in the future. */
const MAX_SKEW_MS = 60_000;

/**
 * Checks a `GET /v1/servers` answer: the Ed25519 signature (header `Switchboard-Signature`,
 * base64url) over the exact body bytes, by the key its `keyId` names among `keys`, and a
 * timestamp no older than 5 minutes. Returns the list, or throws ServerListError.
 */
export function verifyServerList(body: string | Uint8Array, signature: string, keys: Record<string, ServerListKey>, opts: { now?: number; maxAgeMs?: number } = {}): ServerListBody {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body);
  const now = opts.now ?? Date.now();
  let keyId: unknown;
  try {
    keyId = (JSON.parse(bytes.toString('utf8')) as { keyId?: unknown }).keyId;
  } catch {
    throw new ServerListError('malformed', 'the server list is not JSON');
  }
  const key = typeof keyId === 'string' && Object.hasOwn(keys, keyId) ? keys[keyId] : undefined;
  if (!key) throw new ServerListError('unknown_key', `unknown keyId ${JSON.stringify(keyId)}`);
  if (key.notAfter !== undefined && now > key.notAfter) throw new ServerListError('key_retired', `key ${String(keyId)} is no longer accepted`);
  let ok = false;
  try {
    ok = verify(null, bytes, toKey(key.publicKey), Buffer.from(signature, 'base64url'));
  } catch {
    ok = false;
  }
  if (!ok) throw new ServerListError('bad_signature', 'the server list signature does not verify');
  const parsed = ServerListBodySchema.safeParse(JSON.parse(bytes.toString('utf8')));
  if (!parsed.success) throw new ServerListError('malformed', 'the server list does not match its schema');
  if (now - parsed.data.timestamp > (opts.maxAgeMs ?? SERVER_LIST_MAX_AGE_MS)) throw new ServerListError('stale', 'the server list is older than allowed');
  if (parsed.data.timestamp - now > MAX_SKEW_MS) throw new ServerListError('future', 'the server list timestamp is in the future');
  return parsed.data;
}

/** Fetches `<baseUrl>/v1/servers` and verifies it (see verifyServerList). */
export async function fetchServerList(baseUrl: string, keys: Record<string, ServerListKey>, opts: { now?: number; maxAgeMs?: number } = {}): Promise<ServerListBody> {
  const res = await fetch(new URL('/v1/servers', baseUrl));
  const body = new Uint8Array(await res.arrayBuffer());
  if (!res.ok) throw new ServerListError('malformed', `GET /v1/servers answered ${res.status}`);
  return verifyServerList(body, res.headers.get(SERVER_LIST_SIGNATURE_HEADER) ?? '', keys, opts);
}
