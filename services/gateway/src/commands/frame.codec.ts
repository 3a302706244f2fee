import { decodeMsgpack, MsgpackRejected, peekMsgpackString, type DecodeLimits } from './msgpack.decoder.js';

export interface ClientFrame {
  id?: string;
  type: string;
  data: unknown;
}

export type DecodeResult = { ok: true; frame: ClientFrame } | { ok: false; message: string; id?: string };

/** Limits of one frame's `data`: nesting levels and values (keys count as values). */
export interface FrameLimits {
  maxDepth: number;
  maxNodes: number;
  /** MessagePack `bin` values are accepted (only for `ptt.audio` frames). */
  allowBinary?: boolean;
}

export const DEFAULT_FRAME_LIMITS: FrameLimits = { maxDepth: 32, maxNodes: 10_000 };

const depthMessage = (l: FrameLimits) => `data is nested deeper than ${l.maxDepth} levels`;
const nodesMessage = (l: FrameLimits) => `data has more than ${l.maxNodes} values`;

/** Nesting of the envelope itself: the frame object holds `data` one level down. */
const envelope = (limits: FrameLimits): DecodeLimits => ({ maxDepth: limits.maxDepth + 1, maxNodes: limits.maxNodes + 8, allowBinary: limits.allowBinary });

/**
 * Why a parsed JSON value breaks the limits (deeper than maxDepth below `value`, or more than
 * maxNodes values and keys), or undefined. Iterative, so nesting cannot exhaust the stack.
 */
export function overLimits(value: unknown, limits: FrameLimits): string | undefined {
  const stack: [unknown, number][] = [[value, 0]];
  let nodes = 0;
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (depth > limits.maxDepth) return depthMessage(limits);
    if (++nodes > limits.maxNodes) return nodesMessage(limits);
    // Binary (MessagePack bin, ptt.audio only) is one value, however many bytes it holds.
    if (v === null || typeof v !== 'object' || v instanceof Uint8Array) continue;
    if (Array.isArray(v)) for (const x of v) stack.push([x, depth + 1]);
    else
      for (const key in v as Record<string, unknown>) {
        if (++nodes > limits.maxNodes) return nodesMessage(limits);
        stack.push([(v as Record<string, unknown>)[key], depth + 1]);
      }
  }
  return undefined;
}

/**
 * Parses a client frame into the envelope, or says why not. The encoding is the connection's
 * (subprotocol `switchboard.v1.msgpack` or JSON), never the WebSocket opcode: a binary frame on
 * a JSON connection is read as UTF-8 JSON. MessagePack is scanned before anything is built
 * (no extensions, binary, records or out-of-range integers; depth and value budget), so a
 * small frame cannot expand into a large structure.
 */
export function decodeFrame(raw: Buffer, msgpack: boolean, limits: FrameLimits = DEFAULT_FRAME_LIMITS): DecodeResult {
  let value: unknown;
  try {
    value = msgpack ? decodeMsgpack(raw, envelope(limits)) : JSON.parse(raw.toString('utf8'));
  } catch (err) {
    const message =
      err instanceof MsgpackRejected
        ? err.limit === 'depth'
          ? depthMessage(limits)
          : err.limit === 'nodes'
            ? nodesMessage(limits)
            : err.message
        : msgpack
          ? 'frame is not valid MessagePack'
          : 'frame is not valid JSON';
    return { ok: false, message, id: msgpack ? peekId(raw, true) : undefined };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { ok: false, message: 'frame must be an object' };
  const obj = value as Record<string, unknown>;
  const id = validId(obj.id);
  if (obj.id !== undefined && id === undefined) return { ok: false, message: 'id must be a string of 1 to 64 characters' };
  if (typeof obj.type !== 'string' || obj.type.length === 0 || obj.type.length > 64) return { ok: false, message: 'type is required', id };
  const over = overLimits(obj.data, limits);
  if (over) return { ok: false, message: over, id };
  return { ok: true, frame: { id, type: obj.type, data: obj.data } };
}

/** The top-level `type` of a frame without decoding it (routing push-to-talk audio before the command path). */
export function peekType(raw: Buffer, msgpack: boolean): string | undefined {
  const t = msgpack ? peekMsgpackString(raw, 'type') : peekJsonString(raw, 'type');
  return t && t.length <= 64 ? t : undefined;
}

const validId = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 && v.length <= 64 ? v : undefined);

/**
 * The `id` of a frame refused before decoding (rate limited, too large, over a limit), so the
 * reply still carries `re`, read without decoding the rest: only the top-level keys are
 * walked, other values are skipped. The last top-level `id` wins, as a full decode would do.
 */
export function peekId(raw: Buffer, msgpack: boolean): string | undefined {
  return validId(msgpack ? peekMsgpackString(raw, 'id') : peekJsonString(raw, 'id'));
}

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
/** Longest JSON string literal read for a peeked value (an id is at most 64 characters). */
const MAX_PEEK_LITERAL = 512;

/** Top-level string value of `key` in a JSON object, by walking bytes; undefined when unreadable. */
function peekJsonString(raw: Buffer, key: string): string | undefined {
  let pos = 0;
  const ws = () => {
    while (pos < raw.length && WS.has(raw[pos]!)) pos++;
  };
  /** Returns the end (after the closing quote) of the string starting at pos. */
  const stringEnd = (from: number): number => {
    for (let i = from + 1; i < raw.length; i++) {
      if (raw[i] === BACKSLASH) i++;
      else if (raw[i] === QUOTE) return i + 1;
    }
    return -1;
  };
  const literal = (from: number, to: number): string | undefined => {
    if (to - from > MAX_PEEK_LITERAL) return undefined;
    try {
      const v: unknown = JSON.parse(raw.toString('utf8', from, to));
      return typeof v === 'string' ? v : undefined;
    } catch {
      return undefined;
    }
  };
  ws();
  if (raw[pos] !== 0x7b) return undefined;
  pos++;
  let found: string | undefined;
  for (;;) {
    ws();
    if (raw[pos] === 0x7d) return found;
    if (raw[pos] !== QUOTE) return undefined;
    const keyEnd = stringEnd(pos);
    if (keyEnd < 0) return undefined;
    const k = literal(pos, keyEnd);
    pos = keyEnd;
    ws();
    if (raw[pos] !== 0x3a) return undefined;
    pos++;
    ws();
    const valueStart = pos;
    // Skip one value: strings whole, containers by bracket depth outside strings, scalars to the next , or }.
    let depth = 0;
    while (pos < raw.length) {
      const c = raw[pos]!;
      if (c === QUOTE) {
        const e = stringEnd(pos);
        if (e < 0) return undefined;
        pos = e;
      } else if (c === 0x7b || c === 0x5b) {
        depth++;
        pos++;
      } else if (c === 0x7d || c === 0x5d) {
        if (depth === 0) break;
        depth--;
        pos++;
      } else if (c === 0x2c && depth === 0) break;
      else pos++;
      if (depth === 0 && (c === QUOTE || c === 0x7d || c === 0x5d)) break;
    }
    if (k === key) found = raw[valueStart] === QUOTE ? literal(valueStart, pos) : undefined;
    ws();
    if (raw[pos] === 0x2c) pos++;
    else if (raw[pos] === 0x7d) return found;
    else return undefined;
  }
}
