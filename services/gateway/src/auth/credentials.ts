import type { IncomingMessage } from 'node:http';
import { ATTESTATION_HEADER, ATTESTATION_PROTOCOL_PREFIX, ICE_ON_REQUEST_PROTOCOL } from '@switchboard/protocol';

export const JSON_PROTOCOL = 'switchboard.v1';
export const MSGPACK_PROTOCOL = 'switchboard.v1.msgpack';
const BEARER_PROTOCOL_PREFIX = 'bearer.';

/** Token from, first match wins: Authorization header, `bearer.<jwt>` subprotocol, `access_token` query. */
export function extractToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice(7).trim();
  const fromProtocol = offeredProtocols(req).find((p) => p.startsWith(BEARER_PROTOCOL_PREFIX));
  if (fromProtocol) return fromProtocol.slice(BEARER_PROTOCOL_PREFIX.length);
  const url = new URL(req.url ?? '/', 'http://localhost');
  return url.searchParams.get('access_token') ?? undefined;
}

export function offeredProtocols(req: IncomingMessage): string[] {
  const raw = req.headers['sec-websocket-protocol'];
  return raw ? raw.split(',').map((s) => s.trim()).filter(Boolean) : [];
}

/**
 * Picks the encoding subprotocol to echo back. A browser that only sent `bearer.<jwt>` must
 * still get a subprotocol it offered, or it fails the handshake; we never echo the token.
 */
export function selectProtocol(offered: Set<string>): string | false {
  if (offered.has(MSGPACK_PROTOCOL)) return MSGPACK_PROTOCOL;
  if (offered.has(JSON_PROTOCOL)) return JSON_PROTOCOL;
  return false;
}

/** Attestation token from the `Switchboard-Attestation` header or an `attest.<jwt>` subprotocol (never echoed). */
export function extractAttestationToken(req: IncomingMessage): string | undefined {
  const header = req.headers[ATTESTATION_HEADER];
  if (typeof header === 'string' && header) return header.trim();
  return offeredProtocols(req).find((p) => p.startsWith(ATTESTATION_PROTOCOL_PREFIX))?.slice(ATTESTATION_PROTOCOL_PREFIX.length);
}

/** Whether the client offered `ice.on-request`: it fetches TURN credentials itself when it starts a call (ADR 0095). */
export function asksIceOnRequest(req: IncomingMessage): boolean {
  return offeredProtocols(req).includes(ICE_ON_REQUEST_PROTOCOL);
}
