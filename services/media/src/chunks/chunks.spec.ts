import type { Caller } from '@switchboard/platform';
import { subjects } from '@switchboard/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaHarness, uid, type EventLog } from '../testing/harness.test.js';

const b64 = (n: number, fill = 7) => Buffer.alloc(n, fill).toString('base64');
// A pull may stay open 2 s (the harness's 400 ms ran out on a loaded box between a pull and the
// push the test makes for it, and the push was refused); the timeout case waits it out twice.
const LIMITS = { CHUNK_MAX_ANNOUNCED: '6', CHUNK_MAX_WAITERS: '5', CHUNK_MAX_PENDING: '3', CHUNK_PULL_TIMEOUT_MS: '2000' };

/** Callers with their connection subjects watched (chunk.pull, chunk.data, chunk.unavailable arrive there). */
async function peers(h: MediaHarness, n: number): Promise<{ callers: Caller[]; log: EventLog }> {
  const callers = Array.from({ length: n }, () => h.caller());
  const log = await h.rooms.watch(...callers.map((c) => subjects.conn(c.connectionId)));
  return { callers, log };
}
const to = (c: Caller) => (e: { subject: string }) => e.subject === subjects.conn(c.connectionId);

describe('chunk distribution across two media replicas', () => {
  let h: MediaHarness;
  beforeAll(async () => {
    h = await MediaHarness.start(2, { env: LIMITS });
  });
  afterAll(() => h.stop());

  it('multicasts one push to every waiter, with ONE pull however many wait (concurrent requests on both replicas)', async () => {
    const chunkId = uid('chunk');
    const { callers: [source, ...waiters], log } = await peers(h, 6);
    expect(await h.req('chunk.announce', source, { chunkIds: [chunkId, chunkId] })).toEqual({ announced: 1 });
    const statuses = await Promise.all(waiters.map((w) => h.req('chunk.request', w, { chunkId })));
    expect(statuses.map((s) => s.status).sort()).toEqual(['pending', 'pending', 'pending', 'pending', 'requested']);
    await log.waitFor('chunk.pull');
    expect(log.of('chunk.pull')).toEqual([expect.objectContaining({ subject: subjects.conn(source.connectionId), data: { chunkId } })]);
    // a sixth waiter is over CHUNK_MAX_WAITERS
    expect(await h.error('chunk.request', h.caller(), { chunkId })).toMatchObject({ code: 'rate_limited' });

    const data = b64(64 * 1024);
    expect(await h.req('chunk.push', source, { chunkId, data })).toEqual({ delivered: 5 });
    await h.rooms.waitUntil(() => log.of('chunk.data').length === 5);
    for (const w of waiters) expect(log.of('chunk.data', to(w))[0].data).toEqual({ chunkId, data });
    expect(log.of('chunk.pull')).toHaveLength(1);
    // once delivered the pull is over: a repeated push is refused
    expect(await h.code('chunk.push', source, { chunkId, data })).toBe('forbidden');
  });

  it('refuses pushes nobody asked this connection for, and chunks over 64 KiB decoded (too_large)', async () => {
    const chunkId = uid('chunk');
    const { callers: [source, other, waiter], log } = await peers(h, 3);
    expect(await h.code('chunk.push', source, { chunkId, data: b64(10) })).toBe('forbidden'); // no pull at all
    await h.req('chunk.announce', source, { chunkIds: [chunkId] });
    await h.req('chunk.request', waiter, { chunkId });
    await log.waitFor('chunk.pull');
    expect(await h.code('chunk.push', other, { chunkId, data: b64(10) })).toBe('forbidden'); // another connection
    expect(await h.error('chunk.push', source, { chunkId, data: b64(64 * 1024 + 1) })).toMatchObject({ code: 'too_large' });
    expect(await h.code('chunk.push', source, { chunkId, data: 'not base64!' })).toBe('bad_request');
    expect(log.of('chunk.data')).toHaveLength(0);
    expect(await h.req('chunk.push', source, { chunkId, data: b64(3) })).toEqual({ delivered: 1 });
  });

  it('a vanished source is dropped at once (its pull goes to another source); a vanished waiter gets nothing', async () => {
    const chunkId = uid('chunk');
    const { callers: [s1, s2, w1, w2], log } = await peers(h, 4);
    await h.req('chunk.announce', s1, { chunkIds: [chunkId] });
    await h.req('chunk.announce', s2, { chunkIds: [chunkId] });
    await h.req('chunk.request', w1, { chunkId });
    await h.req('chunk.request', w2, { chunkId });
    const first = await log.waitFor('chunk.pull');
    const [asked, spare] = first.subject === subjects.conn(s1.connectionId) ? [s1, s2] : [s2, s1];
    h.gone(asked);
    h.gone(w2);
    // re-pulled from the other source right away, not after the pull timeout
    await log.waitFor('chunk.pull', to(spare));
    expect(await h.req('chunk.push', spare, { chunkId, data: b64(5) })).toEqual({ delivered: 1 });
    await log.waitFor('chunk.data', to(w1));
    expect(log.of('chunk.data', to(w2))).toHaveLength(0);
    // vanished sources are no sources any more
    h.gone(spare);
    await h.rooms.waitUntil(async () => (await h.code('chunk.request', h.caller(), { chunkId })) === 'not_found');
  });

  it('asks the next source when one does not answer in time, then tells the waiters the chunk is unavailable', async () => {
    const chunkId = uid('chunk');
    const { callers: [s1, s2, w], log } = await peers(h, 3);
    await h.req('chunk.announce', s1, { chunkIds: [chunkId] });
    await h.req('chunk.announce', s2, { chunkIds: [chunkId] });
    expect(await h.req('chunk.request', w, { chunkId })).toEqual({ status: 'requested' });
    // CHUNK_PULL_TIMEOUT_MS 2000, CHUNK_PULL_ATTEMPTS 2: both sources asked, then the waiter is told
    const gaveUp = await log.waitFor('chunk.unavailable', to(w));
    expect(gaveUp.data).toEqual({ chunkId });
    expect(log.of('chunk.pull').map((e) => e.subject).sort()).toEqual([subjects.conn(s1.connectionId), subjects.conn(s2.connectionId)].sort());
    // a late push from a source that was asked is still refused once the pull is over
    expect(await h.code('chunk.push', s1, { chunkId, data: b64(5) })).toBe('forbidden');
  });

  it('not_found without a source (a requester is never its own source); limits on announces and pending requests', async () => {
    const { callers: [a, b] } = await peers(h, 2);
    const mine = uid('chunk');
    expect(await h.code('chunk.request', a, { chunkId: uid('chunk') })).toBe('not_found');
    await h.req('chunk.announce', a, { chunkIds: [mine] });
    expect(await h.code('chunk.request', a, { chunkId: mine })).toBe('not_found');
    // CHUNK_MAX_ANNOUNCED 6: one more than that is too_large, and nothing of it is kept
    const five = Array.from({ length: 5 }, () => uid('chunk'));
    expect(await h.req('chunk.announce', a, { chunkIds: five })).toEqual({ announced: 6 });
    expect(await h.error('chunk.announce', a, { chunkIds: [uid('chunk')] })).toMatchObject({ code: 'too_large' });
    expect(await h.req('chunk.announce', a, { chunkIds: [mine, five[0]] })).toEqual({ announced: 6 }); // re-announcing refreshes
    // CHUNK_MAX_PENDING 3: b waits for three chunks, a fourth is rate_limited with a retry hint
    for (const id of five.slice(0, 3)) expect((await h.req('chunk.request', b, { chunkId: id })).status).toBe('requested');
    expect(await h.error('chunk.request', b, { chunkId: five[3] })).toMatchObject({ code: 'rate_limited', retryAfterMs: 2000 });
    expect((await h.req('chunk.request', b, { chunkId: five[0] })).status).toBe('pending'); // one it waits for already
  });
});

describe('chunk cache on one media replica', () => {
  let h: MediaHarness;
  beforeAll(async () => {
    h = await MediaHarness.start(1, { env: { ...LIMITS, CHUNK_CACHE_MAX_ENTRIES: '2', CHUNK_CACHE_TTL_MS: '1500', CHUNK_SOURCE_TTL_MS: '1000' } });
  });
  afterAll(() => h.stop());

  /** Announces, requests and pushes each chunk once, so this replica caches it. */
  async function serve(source: Caller, waiter: Caller, ids: string[]) {
    await h.req('chunk.announce', source, { chunkIds: ids });
    for (const chunkId of ids) {
      await h.req('chunk.request', waiter, { chunkId });
      await h.req('chunk.push', source, { chunkId, data: b64(100) });
    }
  }

  it('answers from the cache without a pull; the least recently used chunk is evicted at the entry cap (LRU)', async () => {
    const { callers: [source, waiter, reader], log } = await peers(h, 3);
    const [c1, c2, c3] = [uid('chunk'), uid('chunk'), uid('chunk')];
    await serve(source, waiter, [c1, c2]);
    const pulls = () => log.of('chunk.pull').length;
    expect(pulls()).toBe(2);
    expect(await h.req('chunk.request', reader, { chunkId: c1 })).toEqual({ status: 'cached' }); // c1 now more recent than c2
    expect((await log.waitFor('chunk.data', (e) => e.subject === subjects.conn(reader.connectionId))).data).toEqual({ chunkId: c1, data: b64(100) });
    await serve(source, waiter, [c3]); // entry cap 2: c2, the least recently used, goes
    expect(await h.req('chunk.request', reader, { chunkId: c1 })).toEqual({ status: 'cached' });
    expect(await h.req('chunk.request', reader, { chunkId: c3 })).toEqual({ status: 'cached' });
    expect(await h.req('chunk.request', reader, { chunkId: c2 })).toEqual({ status: 'requested' });
    expect(pulls()).toBe(4);
  });

  it('forgets cached chunks after CHUNK_CACHE_TTL_MS and sources after CHUNK_SOURCE_TTL_MS', async () => {
    const { callers: [source, waiter, reader] } = await peers(h, 3);
    const chunkId = uid('chunk');
    await serve(source, waiter, [chunkId]);
    expect(await h.req('chunk.request', reader, { chunkId })).toEqual({ status: 'cached' });
    // the source's announce lapses (1 s) before the cache entry does (1.5 s); then nobody has it
    await h.rooms.waitUntil(async () => (await h.code('chunk.request', h.caller(), { chunkId })) !== 'ok');
    expect(await h.code('chunk.request', h.caller(), { chunkId })).toBe('not_found');
  });
});
