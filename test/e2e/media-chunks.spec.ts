import { startGateway } from '@switchboard/gateway/service';
import { startMedia } from '@switchboard/media/service';
import { startPresence } from '@switchboard/presence/service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mediaTestEnv, Stack, testEnv, uid, until } from '@switchboard/testing/stack';

/** Chunk distribution end to end: clients on two gateways, two media replicas, presence for disconnects. */
describe('chunks across gateways and media replicas', () => {
  const stack = new Stack();
  let gws: Awaited<ReturnType<typeof startGateway>>[];

  beforeAll(async () => {
    await stack.add(startPresence(testEnv()));
    const env = mediaTestEnv({ SWEEP_INTERVAL_MS: '50', CHUNK_PULL_TIMEOUT_MS: '400', CHUNK_PULL_ATTEMPTS: '2' });
    await stack.add(startMedia(env));
    await stack.add(startMedia(env));
    // Frames large enough for a full 64 KiB chunk in base64 (87 384 characters) and a bit more.
    gws = [await stack.add(startGateway(testEnv({ MAX_FRAME_BYTES: '131072' }))), await stack.add(startGateway(testEnv({ MAX_FRAME_BYTES: '131072' })))];
  });
  afterAll(() => stack.stop());

  it('one pull for three waiters on two gateways; the 64 KiB push reaches all of them; 64 KiB + 1 is too_large', async () => {
    const chunkId = uid('chunk');
    const source = await stack.client(gws[0]);
    const waiters = [await stack.client(gws[0]), await stack.client(gws[1]), await stack.client(gws[1])];
    await source.request('chunk.announce', { chunkIds: [chunkId] });
    const statuses = [];
    for (const w of waiters) statuses.push((await w.request('chunk.request', { chunkId })).status);
    expect(statuses).toEqual(['requested', 'pending', 'pending']);
    const pull = await source.waitFor('chunk.pull');
    expect(pull.data).toEqual({ chunkId });

    const big = Buffer.alloc(64 * 1024 + 1, 3).toString('base64');
    await expect(source.request('chunk.push', { chunkId, data: big })).rejects.toMatchObject({ code: 'too_large' });
    const data = Buffer.alloc(64 * 1024, 9).toString('base64');
    expect(await source.request('chunk.push', { chunkId, data })).toEqual({ delivered: 3 });
    for (const w of waiters) expect((await w.waitFor('chunk.data')).data).toEqual({ chunkId, data });
    expect(source.events.filter((e) => e.type === 'chunk.pull')).toHaveLength(1);
  });

  it('a source whose socket closes is dropped: its pending pull goes to the next source at once', async () => {
    const chunkId = uid('chunk');
    const [s1, s2] = [await stack.client(gws[0]), await stack.client(gws[1])];
    const waiter = await stack.client(gws[1]);
    await s1.request('chunk.announce', { chunkIds: [chunkId] });
    await s2.request('chunk.announce', { chunkIds: [chunkId] });
    await waiter.request('chunk.request', { chunkId });
    const asked = await until(() => [s1, s2].find((s) => s.events.some((e) => e.type === 'chunk.pull')), 'a pull');
    const other = asked === s1 ? s2 : s1;
    await asked.close();
    await other.waitFor('chunk.pull', (e) => e.data.chunkId === chunkId, 5000);
    await other.request('chunk.push', { chunkId, data: 'AAEC' });
    expect((await waiter.waitFor('chunk.data')).data).toEqual({ chunkId, data: 'AAEC' });
    // nobody but the remaining source serves it now
    await other.close();
    await until(async () => (await waiter.request('chunk.request', { chunkId }).catch((e) => e)).code === 'not_found', 'sources dropped');
  });
});
