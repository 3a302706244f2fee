/**
 * Ogg/Opus files (RFC 3533 pages, RFC 7845 Opus mapping) from raw Opus packets: the recording of
 * one push-to-talk spurt. No npm package muxes Ogg without native bindings or a whole ffmpeg in
 * WebAssembly, so this is a small muxer (and the demuxer its tests read files with), checked
 * against Debian's opusinfo/opusdec in the recording tests (docs/decisions/0054).
 */

/** Opus always decodes at 48 kHz; granule positions count 48 kHz samples. */
export const OPUS_RATE = 48_000;
/** Encoder lookahead at 48 kHz that libopus (and so opusenc and WebCodecs) reports for the default application. */
export const DEFAULT_PRE_SKIP = 312;
/** Packets per audio page: about a second of 20 ms packets, so a seek never reads far. */
const PACKETS_PER_PAGE = 50;
const MAX_SEGMENTS = 255;

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let r = i << 24;
    for (let k = 0; k < 8; k++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
    t[i] = r >>> 0;
  }
  return t;
})();

/** Ogg's CRC-32: polynomial 0x04c11db7, initial value 0, no reflection, over the page with its CRC field zeroed. */
export function oggCrc(bytes: Uint8Array): number {
  let crc = 0;
  for (const b of bytes) crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ b) & 0xff]!) >>> 0;
  return crc >>> 0;
}

/** Frame durations (in 48 kHz samples) by TOC configuration (RFC 6716 §3.1): SILK, Hybrid, CELT. */
function frameSamples(config: number): number {
  if (config < 12) return [480, 960, 1920, 2880][config % 4]!;
  if (config < 16) return [480, 960][config % 2]!;
  return [120, 240, 480, 960][config % 4]!;
}

/** Samples (48 kHz) one Opus packet decodes to, from its TOC byte; undefined when it is not a valid packet header. */
export function opusPacketSamples(packet: Uint8Array): number | undefined {
  const toc = packet[0];
  if (toc === undefined) return undefined;
  const code = toc & 3;
  let frames: number;
  if (code === 0) frames = 1;
  else if (code === 3) {
    const count = packet[1];
    if (count === undefined) return undefined;
    frames = count & 0x3f;
    if (frames === 0) return undefined;
  } else frames = 2;
  const samples = frames * frameSamples(toc >> 3);
  // RFC 6716 §3.2.5: a packet holds at most 120 ms.
  return samples <= 5760 ? samples : undefined;
}

export interface OggOpusOptions {
  /** Logical stream serial number (any 32-bit value; unique per file is enough). */
  serial: number;
  preSkip?: number;
  /** Vendor string of OpusTags. */
  vendor?: string;
}

export interface OggOpusFile {
  bytes: Uint8Array;
  /** Playback length: all samples less the pre-skip, in ms. */
  durationMs: number;
  samples: number;
  channels: number;
}

/**
 * Muxes packets of one Opus stream (all mono or all stereo: the first packet's TOC decides) into
 * an Ogg/Opus file: OpusHead page (BOS), OpusTags page, audio pages with granule positions, EOS.
 * Throws on a packet whose TOC is not valid Opus.
 */
export function muxOggOpus(packets: readonly Uint8Array[], opts: OggOpusOptions): OggOpusFile {
  if (!packets.length) throw new Error('no packets');
  const preSkip = opts.preSkip ?? DEFAULT_PRE_SKIP;
  const channels = packets[0]![0]! & 0x04 ? 2 : 1;
  const head = new Uint8Array(19);
  const hv = new DataView(head.buffer);
  head.set(ascii('OpusHead'));
  head[8] = 1; // version
  head[9] = channels;
  hv.setUint16(10, preSkip, true);
  hv.setUint32(12, OPUS_RATE, true); // input sample rate (informational)
  hv.setInt16(16, 0, true); // output gain
  head[18] = 0; // channel mapping family 0: mono/stereo
  const vendor = ascii(opts.vendor ?? 'switchboard');
  const tags = new Uint8Array(8 + 4 + vendor.length + 4);
  const tv = new DataView(tags.buffer);
  tags.set(ascii('OpusTags'));
  tv.setUint32(8, vendor.length, true);
  tags.set(vendor, 12);
  tv.setUint32(12 + vendor.length, 0, true); // no user comments

  const pages: Uint8Array[] = [];
  let seq = 0;
  const page = (body: readonly Uint8Array[], granule: bigint, flags: number) => pages.push(oggPage(body, granule, opts.serial, seq++, flags));
  page([head], 0n, 0x02);
  page([tags], 0n, 0);

  let granule = 0;
  let batch: Uint8Array[] = [];
  let segments = 0;
  const flush = (last: boolean) => {
    if (batch.length) page(batch, BigInt(granule), last ? 0x04 : 0);
    batch = [];
    segments = 0;
  };
  packets.forEach((p, i) => {
    const samples = opusPacketSamples(p);
    if (samples === undefined) throw new Error(`packet ${i} is not an Opus packet`);
    const need = Math.floor(p.length / 255) + 1;
    if (segments + need > MAX_SEGMENTS || batch.length >= PACKETS_PER_PAGE) flush(false);
    batch.push(p);
    segments += need;
    granule += samples;
  });
  flush(true);
  const bytes = concat(pages);
  const playable = Math.max(0, granule - preSkip);
  return { bytes, samples: playable, durationMs: Math.round((playable * 1000) / OPUS_RATE), channels };
}

/** One Ogg page holding whole packets (none continues onto the next page). */
function oggPage(packets: readonly Uint8Array[], granule: bigint, serial: number, seq: number, flags: number): Uint8Array {
  const lacing: number[] = [];
  for (const p of packets) {
    for (let n = p.length; ; n -= 255) {
      lacing.push(Math.min(n, 255));
      if (n < 255) break;
    }
  }
  const headerLen = 27 + lacing.length;
  const bodyLen = packets.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(headerLen + bodyLen);
  const v = new DataView(out.buffer);
  out.set(ascii('OggS'));
  out[4] = 0; // stream structure version
  out[5] = flags;
  v.setBigInt64(6, granule, true);
  v.setUint32(14, serial >>> 0, true);
  v.setUint32(18, seq, true);
  // bytes 22..25: CRC, computed over the page with these zero
  out[26] = lacing.length;
  out.set(lacing, 27);
  let at = headerLen;
  for (const p of packets) {
    out.set(p, at);
    at += p.length;
  }
  v.setUint32(22, oggCrc(out), true);
  return out;
}

export interface OggPage {
  flags: number;
  granule: bigint;
  serial: number;
  seq: number;
  crcOk: boolean;
}

/**
 * Reads an Ogg stream back: its pages (with CRC verdicts) and the packets of its logical stream,
 * continued packets joined. Throws on a malformed page.
 */
export function demuxOgg(bytes: Uint8Array): { pages: OggPage[]; packets: Uint8Array[] } {
  const pages: OggPage[] = [];
  const packets: Uint8Array[] = [];
  let partial: Uint8Array[] = [];
  let pos = 0;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  while (pos < bytes.length) {
    if (pos + 27 > bytes.length || String.fromCharCode(...bytes.subarray(pos, pos + 4)) !== 'OggS') throw new Error(`no Ogg page at byte ${pos}`);
    const nseg = bytes[pos + 26]!;
    const lacing = bytes.subarray(pos + 27, pos + 27 + nseg);
    const bodyLen = lacing.reduce((n, x) => n + x, 0);
    const end = pos + 27 + nseg + bodyLen;
    if (end > bytes.length) throw new Error('truncated Ogg page');
    // A copy (Buffer#slice would share memory): the CRC field is zeroed in it to check the page.
    const raw = new Uint8Array(bytes.subarray(pos, end));
    const stored = v.getUint32(pos + 22, true);
    raw.fill(0, 22, 26);
    pages.push({ flags: bytes[pos + 5]!, granule: v.getBigInt64(pos + 6, true), serial: v.getUint32(pos + 14, true), seq: v.getUint32(pos + 18, true), crcOk: oggCrc(raw) === stored });
    let at = pos + 27 + nseg;
    for (const len of lacing) {
      partial.push(bytes.subarray(at, at + len));
      at += len;
      if (len < 255) {
        packets.push(concat(partial));
        partial = [];
      }
    }
    pos = end;
  }
  return { pages, packets };
}

function ascii(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
