import { Packr, Unpackr } from 'msgpackr';

/** The subset of the WHATWG WebSocket both browsers and the `ws` package implement. */
export interface SocketLike {
  readonly readyState: number;
  readonly protocol: string;
  binaryType: string;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: { message?: string; error?: unknown }) => void) | null;
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
}

/** A WebSocket constructor: the browser's, Node 22's, or `ws`. */
export type SocketFactory = new (url: string, protocols: string[]) => SocketLike;

export const OPEN = 1;

/** The native WebSocket where there is one; the `ws` package in Node otherwise. */
export async function defaultSocketFactory(): Promise<SocketFactory> {
  const native = (globalThis as { WebSocket?: SocketFactory }).WebSocket;
  if (native) return native;
  const mod = (await import('ws')) as unknown as { default: SocketFactory };
  return mod.default;
}

export type Encoding = 'json' | 'msgpack';
export const SUBPROTOCOL: Record<Encoding, string> = { json: 'switchboard.v1', msgpack: 'switchboard.v1.msgpack' };
/** Offered beside the encoding: `iceServers()` asks `ice.servers` when a call needs TURN, so a connect costs no credentials (protocol's ICE_ON_REQUEST_PROTOCOL, ADR 0095). */
export const ICE_ON_REQUEST_PROTOCOL = 'ice.on-request';

// Plain JSON-like data only (the gateway refuses msgpackr records and extensions).
const packr = new Packr({ useRecords: false, structuredClone: false, moreTypes: false });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true });

export function encodeFrame(encoding: Encoding, frame: unknown): string | Uint8Array {
  return encoding === 'msgpack' ? packr.pack(frame) : JSON.stringify(frame);
}

/** Decodes a server frame by its own type (text → JSON, binary → MessagePack); undefined when unreadable. */
export function decodeFrame(data: unknown): Record<string, any> | undefined {
  try {
    if (typeof data === 'string') return JSON.parse(data);
    const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : undefined;
    if (!bytes) return undefined;
    return unpackr.unpack(bytes);
  } catch {
    return undefined;
  }
}
