import { Unpackr } from 'msgpackr';

/** Budget for one decoded value: nesting depth and total nodes (every scalar, array, map and key). */
export interface DecodeLimits {
  maxDepth: number;
  maxNodes: number;
  /** Accept `bin` values (push-to-talk audio frames only; decoded as Buffers). */
  allowBinary?: boolean;
}

/** Why a MessagePack document was refused; the message is safe to show to the sender. */
export class MsgpackRejected extends Error {
  constructor(
    message: string,
    /** `depth` / `nodes` when a limit was hit, so callers can word it in their own terms. */
    readonly limit?: 'depth' | 'nodes',
  ) {
    super(message);
  }
}

/**
 * msgpackr configured for plain JSON-like data: no records/structures, no structured-clone
 * references, no bundled strings, 64-bit integers as numbers. The pre-scan below refuses
 * every extension type anyway, so none of msgpackr's built-in extensions can run.
 */
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, structuredClone: false, bundleStrings: false, moreTypes: false, int64AsType: 'number' });

const MAX_SAFE_HI = 2 ** 21; // uint64 hi word below this keeps the value ≤ 2^53 - 1

/**
 * Walks the MessagePack bytes without building anything and throws MsgpackRejected unless
 * they are exactly one JSON-like value within `limits`: maps with string keys, arrays,
 * strings, numbers (64-bit integers only within ±(2^53 - 1)), booleans and nil. Extension
 * types (msgpackr's records, references, timestamps…), binary and the reserved byte are
 * refused. Declared lengths are checked against the bytes left, so a 5-byte header cannot
 * announce 4 billion entries. Cost: one pass, no allocation.
 */
export function scanMsgpack(buf: Uint8Array, limits: DecodeLimits): void {
  const end = scanValue(buf, 0, limits, 'strict', { nodes: 0 }, 1);
  if (end !== buf.length) throw new MsgpackRejected('frame has bytes after the MessagePack value');
}

/** Decodes one JSON-like MessagePack value after `scanMsgpack` accepted it. */
export function decodeMsgpack(buf: Uint8Array, limits: DecodeLimits): unknown {
  scanMsgpack(buf, limits);
  return unpackr.unpack(buf);
}

/**
 * The string value of a top-level key of a MessagePack map (the last one, as decoding would
 * keep), without decoding anything else: used to answer frames refused before decoding
 * (rate limited, too large, or over a limit) with their `re`. Other values are skipped
 * structurally, whatever they contain (extensions are skipped, never run); undefined when
 * the bytes are not a map (msgpackr's records wrap the whole document in an extension).
 */
export function peekMsgpackString(buf: Uint8Array, key: string): string | undefined {
  // The walk is iterative and builds nothing: its cost is bounded by the bytes, not by limits.
  const limits: DecodeLimits = { maxDepth: Infinity, maxNodes: Infinity };
  try {
    const head = buf[0];
    if (head === undefined) return undefined;
    let count: number;
    let pos: number;
    if (head >= 0x80 && head <= 0x8f) [count, pos] = [head & 0x0f, 1];
    else if (head === 0xde) [count, pos] = [u16(buf, 1), 3];
    else if (head === 0xdf) [count, pos] = [u32(buf, 1), 5];
    else return undefined;
    const budget = { nodes: 0 };
    let found: string | undefined;
    for (let i = 0; i < count; i++) {
      const k = readString(buf, pos);
      pos = scanValue(buf, pos, limits, 'lenient', budget, 2);
      const v = k?.value === key ? readString(buf, pos) : undefined;
      pos = scanValue(buf, pos, limits, 'lenient', budget, 2);
      if (k?.value === key) found = v?.value;
    }
    return found;
  } catch {
    return undefined;
  }
}

function readString(buf: Uint8Array, pos: number): { value: string } | undefined {
  const b = buf[pos];
  let len: number;
  let at: number;
  if (b === undefined) return undefined;
  if (b >= 0xa0 && b <= 0xbf) [len, at] = [b & 0x1f, pos + 1];
  else if (b === 0xd9) [len, at] = [need(buf, pos + 1, 1) && buf[pos + 1]!, pos + 2];
  else if (b === 0xda) [len, at] = [u16(buf, pos + 1), pos + 3];
  else return undefined; // ids are short: str32 is not worth reading
  need(buf, at, len);
  return { value: Buffer.from(buf.buffer, buf.byteOffset + at, len).toString('utf8') };
}

function need(buf: Uint8Array, pos: number, n: number): true {
  if (pos + n > buf.length) throw new MsgpackRejected('frame is not valid MessagePack (truncated)');
  return true;
}
const u16 = (buf: Uint8Array, pos: number) => (need(buf, pos, 2), (buf[pos]! << 8) | buf[pos + 1]!);
const u32 = (buf: Uint8Array, pos: number) => (need(buf, pos, 4), buf[pos]! * 2 ** 24 + ((buf[pos + 1]! << 16) | (buf[pos + 2]! << 8) | buf[pos + 3]!));

/**
 * Skips one value starting at `pos` and returns the position after it. Iterative (an explicit
 * stack of entries still to read per open container), so hostile nesting cannot blow the stack.
 * `strict` refuses what decoding must never see; `lenient` only measures.
 */
function scanValue(buf: Uint8Array, start: number, limits: DecodeLimits, mode: 'strict' | 'lenient', budget: { nodes: number }, startDepth: number): number {
  const strict = mode === 'strict';
  // remaining[i]: values still to read in the container at depth i; keyNext[i]: the next one is a map key.
  const remaining: number[] = [1];
  const isMap: boolean[] = [false];
  const keyNext: boolean[] = [false];
  let pos = start;
  while (remaining.length) {
    const top = remaining.length - 1;
    if (remaining[top] === 0) {
      remaining.pop();
      isMap.pop();
      keyNext.pop();
      continue;
    }
    remaining[top]--;
    const asKey = isMap[top] && keyNext[top];
    if (isMap[top]) keyNext[top] = !keyNext[top];
    if (++budget.nodes > limits.maxNodes) throw new MsgpackRejected(`more than ${limits.maxNodes} values`, 'nodes');
    need(buf, pos, 1);
    const b = buf[pos]!;
    if (strict && asKey && !((b >= 0xa0 && b <= 0xbf) || (b >= 0xd9 && b <= 0xdb))) throw new MsgpackRejected('map keys must be strings');
    let open = -1; // entries of a container opened by this byte
    let map = false;
    if (b <= 0x7f || b >= 0xe0 || b === 0xc0 || b === 0xc2 || b === 0xc3) pos += 1;
    else if (b >= 0x80 && b <= 0x8f) [open, map, pos] = [b & 0x0f, true, pos + 1];
    else if (b >= 0x90 && b <= 0x9f) [open, pos] = [b & 0x0f, pos + 1];
    else if (b >= 0xa0 && b <= 0xbf) pos = skip(buf, pos + 1, b & 0x1f);
    else
      switch (b) {
        case 0xd9:
          need(buf, pos + 1, 1);
          pos = skip(buf, pos + 2, buf[pos + 1]!);
          break;
        case 0xda:
          pos = skip(buf, pos + 3, u16(buf, pos + 1));
          break;
        case 0xdb:
          pos = skip(buf, pos + 5, u32(buf, pos + 1));
          break;
        case 0xca:
          pos = skip(buf, pos + 1, 4);
          break;
        case 0xcb:
          pos = skip(buf, pos + 1, 8);
          break;
        case 0xcc:
        case 0xd0:
          pos = skip(buf, pos + 1, 1);
          break;
        case 0xcd:
        case 0xd1:
          pos = skip(buf, pos + 1, 2);
          break;
        case 0xce:
        case 0xd2:
          pos = skip(buf, pos + 1, 4);
          break;
        case 0xcf:
          if (strict && u32(buf, pos + 1) >= MAX_SAFE_HI) throw new MsgpackRejected('integer out of range (beyond ±2^53)');
          pos = skip(buf, pos + 1, 8);
          break;
        case 0xd3: {
          need(buf, pos + 1, 8);
          const v = Buffer.from(buf.buffer, buf.byteOffset + pos + 1, 8).readBigInt64BE(0);
          if (strict && (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER))) throw new MsgpackRejected('integer out of range (beyond ±2^53)');
          pos += 9;
          break;
        }
        case 0xdc:
          [open, pos] = [u16(buf, pos + 1), pos + 3];
          break;
        case 0xdd:
          [open, pos] = [u32(buf, pos + 1), pos + 5];
          break;
        case 0xde:
          [open, map, pos] = [u16(buf, pos + 1), true, pos + 3];
          break;
        case 0xdf:
          [open, map, pos] = [u32(buf, pos + 1), true, pos + 5];
          break;
        default:
          // 0xc1 (never used), bin 0xc4-0xc6, ext 0xc7-0xc9 and fixext 0xd4-0xd8.
          if (strict && !(limits.allowBinary && b >= 0xc4 && b <= 0xc6))
            throw new MsgpackRejected(b === 0xc1 ? 'frame is not valid MessagePack' : b >= 0xc4 && b <= 0xc6 ? 'binary values are not allowed' : 'MessagePack extension types are not allowed');
          pos = skipLenient(buf, pos, b);
      }
    if (open >= 0) {
      const entries = map ? open * 2 : open;
      // Every entry takes at least one byte: refuse headers that promise more than is left.
      if (entries > buf.length - pos) throw new MsgpackRejected('frame is not valid MessagePack (truncated)');
      if (entries > 0) {
        if (remaining.length + startDepth - 1 > limits.maxDepth) throw new MsgpackRejected(`nested deeper than ${limits.maxDepth} levels`, 'depth');
        remaining.push(entries);
        isMap.push(map);
        keyNext.push(map);
      }
    }
  }
  return pos;
}

function skip(buf: Uint8Array, pos: number, n: number): number {
  need(buf, pos, n);
  return pos + n;
}

/** Lengths of bin/ext/fixext/0xc1, for the lenient walk only. */
function skipLenient(buf: Uint8Array, pos: number, b: number): number {
  switch (b) {
    case 0xc4:
      need(buf, pos + 1, 1);
      return skip(buf, pos + 2, buf[pos + 1]!);
    case 0xc5:
      return skip(buf, pos + 3, u16(buf, pos + 1));
    case 0xc6:
      return skip(buf, pos + 5, u32(buf, pos + 1));
    case 0xc7:
      need(buf, pos + 1, 1);
      return skip(buf, pos + 3, buf[pos + 1]!);
    case 0xc8:
      return skip(buf, pos + 4, u16(buf, pos + 1));
    case 0xc9:
      return skip(buf, pos + 6, u32(buf, pos + 1));
    case 0xd4:
    case 0xd5:
    case 0xd6:
    case 0xd7:
    case 0xd8:
      return skip(buf, pos + 2, 1 << (b - 0xd4));
    default:
      throw new MsgpackRejected('frame is not valid MessagePack');
  }
}
