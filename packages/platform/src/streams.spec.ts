import { ROOM_BUCKETS, roomBucket, subjects } from '@switchboard/protocol';
import { describe, expect, it } from 'vitest';
import { MAX_ROOM_EVENT_STREAMS, ROOM_EVENTS_STREAM, roomEventStreamOf, roomEventStreams } from './streams.js';

describe('room event stream layout (docs/decisions/0032)', () => {
  it('one stream on sb.evt.room.> when not sharded', () => {
    expect(roomEventStreams(1)).toEqual([{ name: ROOM_EVENTS_STREAM, subjects: ['sb.evt.room.>'] }]);
    expect(roomEventStreamOf('anything', 1)).toBe(ROOM_EVENTS_STREAM);
  });

  it.each([2, 3, 4, 7, 16])('with %i streams every bucket is in exactly one stream, and a room is in the stream its bucket names', (n) => {
    const streams = roomEventStreams(n);
    expect(streams.map((s) => s.name)).toEqual(Array.from({ length: n }, (_, i) => `${ROOM_EVENTS_STREAM}_${i}`));
    const all = streams.flatMap((s) => s.subjects);
    expect(new Set(all).size).toBe(ROOM_BUCKETS);
    expect(all.length).toBe(ROOM_BUCKETS);
    for (const id of ['r1', 'room-abc', 'Zz_9', 'x'.repeat(64)]) {
      const own = streams.find((s) => s.name === roomEventStreamOf(id, n))!;
      // The room's subject matches one of its stream's wildcards `sb.evt.room.<bucket>.*`.
      expect(own.subjects).toContain(subjects.room(id).replace(/\.[^.]+$/, '.*'));
    }
  });

  it('spreads ids evenly enough over buckets and refuses a stream count out of range', () => {
    const counts = new Array(ROOM_BUCKETS).fill(0);
    for (let i = 0; i < 64_000; i++) counts[roomBucket(`r${i.toString(36)}x${(i * 7919).toString(36)}`)]++;
    // 1000 per bucket expected; FNV-1a keeps every bucket within ±20 %.
    expect(Math.min(...counts)).toBeGreaterThan(800);
    expect(Math.max(...counts)).toBeLessThan(1200);
    expect(() => roomEventStreams(0)).toThrow(RangeError);
    expect(() => roomEventStreams(MAX_ROOM_EVENT_STREAMS + 1)).toThrow(RangeError);
  });
});
