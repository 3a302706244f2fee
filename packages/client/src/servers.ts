import { SERVER_LIST_MAX_AGE_MS, SERVER_LIST_SIGNATURE_HEADER, ServerListBodySchema, type ServerListBody } from '@switchboard/protocol';

/** A key a client trusts for the server list: the Ed25519 public key, and when it stops being accepted. */
export interface ServerListKey {
  /** SPKI PEM or the raw 32-byte key as base64url (Node's `./node` entry also takes a KeyObject). */
  publicKey: string | object;
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

export interface ServerListCheckOptions {
  now?: number;
  maxAgeMs?: number;
}

/** Tolerated clock skew for a timestamp in the future. */
const MAX_SKEW_MS = 60_000;

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** The key a list names by its `keyId`, when trusted and not retired (step 1 of the check). */
export function serverListKey(bytes: Uint8Array, keys: Record<string, ServerListKey>, now: number): ServerListKey {
  let keyId: unknown;
  try {
    keyId = (JSON.parse(text(bytes)) as { keyId?: unknown }).keyId;
  } catch {
    throw new ServerListError('malformed', 'the server list is not JSON');
  }
  const key = typeof keyId === 'string' && Object.hasOwn(keys, keyId) ? keys[keyId] : undefined;
  if (!key) throw new ServerListError('unknown_key', `unknown keyId ${JSON.stringify(keyId)}`);
  if (key.notAfter !== undefined && now > key.notAfter) throw new ServerListError('key_retired', `key ${String(keyId)} is no longer accepted`);
  return key;
}

/** Schema and freshness of a list whose signature verified (step 3 of the check). */
export function serverListBody(bytes: Uint8Array, signatureOk: boolean, opts: ServerListCheckOptions): ServerListBody {
  if (!signatureOk) throw new ServerListError('bad_signature', 'the server list signature does not verify');
  const now = opts.now ?? Date.now();
  const parsed = ServerListBodySchema.safeParse(JSON.parse(text(bytes)));
  if (!parsed.success) throw new ServerListError('malformed', 'the server list does not match its schema');
  if (now - parsed.data.timestamp > (opts.maxAgeMs ?? SERVER_LIST_MAX_AGE_MS)) throw new ServerListError('stale', 'the server list is older than allowed');
  if (parsed.data.timestamp - now > MAX_SKEW_MS) throw new ServerListError('future', 'the server list timestamp is in the future');
  return parsed.data;
}

const b64 = (s: string): Uint8Array<ArrayBuffer> => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/').replace(/\s/g, '')), (c) => c.charCodeAt(0));

async function webKey(publicKey: ServerListKey['publicKey']): ReturnType<typeof crypto.subtle.importKey> {
  if (typeof publicKey !== 'string') throw new ServerListError('bad_signature', 'in browsers a key must be PEM or base64url');
  const pem = publicKey.includes('-----BEGIN');
  const der = pem ? b64(publicKey.replace(/-----[^-]+-----/g, '')) : b64(publicKey + '='.repeat((4 - (publicKey.length % 4)) % 4));
  return crypto.subtle.importKey(pem ? 'spki' : 'raw', der, { name: 'Ed25519' }, false, ['verify']);
}

/**
 * Checks a `GET /v1/servers` answer with WebCrypto (browsers and Node): the Ed25519
 * signature (header `Switchboard-Signature`, base64url) over the exact body bytes by the key
 * its `keyId` names among `keys`, and a timestamp no older than 5 minutes.
 */
export async function verifyServerListAsync(body: string | Uint8Array, signature: string, keys: Record<string, ServerListKey>, opts: ServerListCheckOptions = {}): Promise<ServerListBody> {
  const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
  const key = serverListKey(bytes, keys, opts.now ?? Date.now());
  let ok = false;
  try {
    const sig = b64(signature + '='.repeat((4 - (signature.length % 4)) % 4));
    ok = await crypto.subtle.verify({ name: 'Ed25519' }, await webKey(key.publicKey), sig, new Uint8Array(bytes));
  } catch {
    ok = false;
  }
  return serverListBody(bytes, ok, opts);
}

/** Fetches `<baseUrl>/v1/servers` and verifies it (see verifyServerListAsync). */
export async function fetchServers(baseUrl: string, keys: Record<string, ServerListKey>, opts: ServerListCheckOptions = {}): Promise<ServerListBody> {
  const res = await fetch(new URL('/v1/servers', baseUrl));
  const body = new Uint8Array(await res.arrayBuffer());
  if (!res.ok) throw new ServerListError('malformed', `GET /v1/servers answered ${res.status}`);
  return verifyServerListAsync(body, res.headers.get(SERVER_LIST_SIGNATURE_HEADER) ?? '', keys, opts);
}
