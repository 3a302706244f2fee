import { describe, expect, it } from 'vitest';
import { demuxOgg, muxOggOpus, oggCrc, opusPacketSamples } from './ogg-opus.js';

const packet = (toc: number, size: number, extra: number[] = []) => Uint8Array.from([toc, ...extra, ...new Array(size - 1 - extra.length).fill(0x55)]);

describe('Ogg/Opus muxer', () => {
  it('computes Ogg CRC-32 (poly 0x04c11db7, no reflection)', () => {
    // Reference value of the unreflected CRC-32 with init 0 and no final xor ("CRC-32/MPEG-2" without its init) for "123456789".
    expect(oggCrc(new TextEncoder().encode('123456789'))).toBe(0x89a1897f);
    expect(oggCrc(new Uint8Array(0))).toBe(0);
  });

  it('reads packet durations from the TOC byte (RFC 6716 §3.1)', () => {
    expect(opusPacketSamples(packet(0x78, 10))).toBe(960); // hybrid FB 20 ms, one frame
    expect(opusPacketSamples(packet(0xf8, 10))).toBe(960); // CELT FB 20 ms
    expect(opusPacketSamples(packet(0xf9, 10))).toBe(1920); // two frames
    expect(opusPacketSamples(packet(0xe3, 10, [3]))).toBe(360); // CELT 2.5 ms, code 3 with 3 frames
    expect(opusPacketSamples(packet(0x1b, 10, [0x3f]))).toBeUndefined(); // 63 × 60 ms: over 120 ms
    expect(opusPacketSamples(packet(0x03, 2, [0]))).toBeUndefined(); // code 3 with no frames
    expect(opusPacketSamples(new Uint8Array(0))).toBeUndefined();
  });

  it('writes OpusHead and OpusTags pages, audio pages with granule positions, BOS/EOS, valid CRCs; reads back the same packets', () => {
    const packets = Array.from({ length: 120 }, (_, i) => packet(0x78, 1 + ((i * 37) % 600)));
    const file = muxOggOpus(packets, { serial: 0xdeadbeef });
    const { pages, packets: read } = demuxOgg(file.bytes);
    expect(pages.every((p) => p.crcOk && p.serial === 0xdeadbeef)).toBe(true);
    expect(pages.map((p) => p.seq)).toEqual(pages.map((_, i) => i));
    expect(pages[0]!.flags).toBe(0x02);
    expect(pages.at(-1)!.flags).toBe(0x04);
    expect(pages.at(-1)!.granule).toBe(120n * 960n);
    expect(pages.slice(2).map((p) => p.granule)).toEqual([...pages.slice(2).map((p) => p.granule)].sort((a, b) => Number(a - b)));
    expect(new TextDecoder().decode(read[0]!.subarray(0, 8))).toBe('OpusHead');
    expect(new TextDecoder().decode(read[1]!.subarray(0, 8))).toBe('OpusTags');
    expect(read.slice(2)).toEqual(packets);
    expect(file.durationMs).toBe(Math.round(((120 * 960 - 312) * 1000) / 48_000));
    // A flipped byte fails its page's CRC.
    const bad = file.bytes.slice();
    bad[bad.length - 1]! ^= 0xff;
    expect(demuxOgg(bad).pages.at(-1)!.crcOk).toBe(false);
    // Reading leaves the bytes alone, also when they are a Node Buffer.
    const asBuffer = Buffer.from(file.bytes);
    demuxOgg(asBuffer);
    expect(asBuffer.equals(file.bytes)).toBe(true);
  });

  it('refuses an empty talk and packets that are not Opus', () => {
    expect(() => muxOggOpus([], { serial: 1 })).toThrow('no packets');
    expect(() => muxOggOpus([packet(0x78, 10), new Uint8Array(0)], { serial: 1 })).toThrow('packet 1');
  });
});
