import { unpack } from 'msgpackr';

export interface ClientFrame {
  id?: string;
  type: string;
  data: unknown;
}

export type DecodeResult = { ok: true; frame: ClientFrame } | { ok: false; message: string; id?: string };

const MAX_DEPTH = 32;

/** Rejects pathological nesting before any schema work (a cheap guard against stack abuse). */
export function tooDeep(value: unknown, depth = 0): boolean {
  if (depth > MAX_DEPTH) return true;
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.some((v) => tooDeep(v, depth + 1));
  for (const key in value as Record<string, unknown>) if (tooDeep((value as Record<string, unknown>)[key], depth + 1)) return true;
  return false;
}

/** Parses a client frame (JSON text or MessagePack) into the envelope, or says why not. */
export function decodeFrame(raw: Buffer, binary: boolean): DecodeResult {
  let value: unknown;
  try {
    value = binary ? unpack(raw) : JSON.parse(raw.toString('utf8'));
  } catch {
    return { ok: false, message: binary ? 'frame is not valid MessagePack' : 'frame is not valid JSON' };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { ok: false, message: 'frame must be an object' };
  const obj = value as Record<string, unknown>;
  const id = typeof obj.id === 'string' && obj.id.length > 0 && obj.id.length <= 64 ? obj.id : undefined;
  if (obj.id !== undefined && id === undefined) return { ok: false, message: 'id must be a string of 1 to 64 characters' };
  if (typeof obj.type !== 'string' || obj.type.length === 0 || obj.type.length > 64) return { ok: false, message: 'type is required', id };
  if (tooDeep(obj.data)) return { ok: false, message: `data is nested deeper than ${MAX_DEPTH} levels`, id };
  return { ok: true, frame: { id, type: obj.type, data: obj.data } };
}
