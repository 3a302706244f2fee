import { describe, expect, it } from 'vitest';
import type { Caller, CommandBus } from '@switchboard/platform';
import { MEDIA_RESUME_BATCH_MAX, MediaResumeBatch } from '@switchboard/protocol';
import { gatewayConfig, silentLogger } from '../testing/fakes.test.js';
import { MediaResumeBatcher } from './media-resume.batcher.js';

type Resume = { sessionId: string; userId: string; connectionId: string };

/** Answers like media: each request checked against the verb's schema; `down` fails every request. */
function fakeMedia() {
  const requests: Resume[][] = [];
  const callers: Caller[] = [];
  let down = false;
  let answer: () => void = () => undefined;
  let held: Promise<void> | undefined;
  const bus = {
    request: async (service: string, verb: string, caller: Caller, data: { resumes: Resume[] }) => {
      expect([service, verb]).toEqual(['media', 'session.resume_batch']);
      MediaResumeBatch.parse(data);
      requests.push(data.resumes);
      callers.push(caller);
      if (held) await held;
      if (down) throw new Error('unavailable');
      return { calls: data.resumes.map(() => []) };
    },
  };
  return {
    bus: bus as unknown as CommandBus,
    requests,
    callers,
    fail: () => (down = true),
    hold: () => (held = new Promise((r) => (answer = r))),
    release: () => answer(),
  };
}

const conn = (i: number) => ({ userId: `u${i}`, connectionId: `c${i}` });
const batcher = (bus: CommandBus) => new MediaResumeBatcher(bus, gatewayConfig({ NODE_ID: 'gw-b' }), silentLogger);

describe('MediaResumeBatcher', () => {
  it('sends the resumes of one tick in one request, each with its own session, user and connection, as the gateway', async () => {
    const media = fakeMedia();
    const b = batcher(media.bus);
    await Promise.all([b.resume(conn(1), 's1'), b.resume(conn(2), 's2'), b.resume(conn(3), 's3')]);
    expect(media.requests).toEqual([
      [
        { sessionId: 's1', userId: 'u1', connectionId: 'c1' },
        { sessionId: 's2', userId: 'u2', connectionId: 'c2' },
        { sessionId: 's3', userId: 'u3', connectionId: 'c3' },
      ],
    ]);
    expect(media.callers[0]).toMatchObject({ userId: '', connectionId: '', nodeId: 'gw-b', name: 'gateway' });
    // A later tick is a new request.
    await b.resume(conn(4), 's4');
    expect(media.requests.map((r) => r.length)).toEqual([3, 1]);
  });

  it('resolves each resume only once media has answered its batch', async () => {
    const media = fakeMedia();
    void media.hold();
    const b = batcher(media.bus);
    let settled = false;
    const p = b.resume(conn(1), 's1').then(() => (settled = true));
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(media.requests).toHaveLength(1);
    expect(settled).toBe(false);
    media.release();
    await p;
    expect(settled).toBe(true);
  });

  it(`splits a tick larger than MEDIA_RESUME_BATCH_MAX (${MEDIA_RESUME_BATCH_MAX}) into requests within the limit`, async () => {
    const media = fakeMedia();
    const b = batcher(media.bus);
    const n = MEDIA_RESUME_BATCH_MAX * 2 + 1;
    await Promise.all(Array.from({ length: n }, (_, i) => b.resume(conn(i), `s${i}`)));
    expect(media.requests.map((r) => r.length)).toEqual([MEDIA_RESUME_BATCH_MAX, MEDIA_RESUME_BATCH_MAX, 1]);
    expect(new Set(media.requests.flat().map((r) => r.connectionId)).size).toBe(n);
    // The schema refuses one more than the limit, and an empty batch.
    expect(MediaResumeBatch.safeParse({ resumes: Array.from({ length: MEDIA_RESUME_BATCH_MAX + 1 }, (_, i) => ({ sessionId: 's', ...conn(i) })) }).success).toBe(false);
    expect(MediaResumeBatch.safeParse({ resumes: [] }).success).toBe(false);
  });

  it('never rejects: when media fails, every resume of the batch still completes (the rooms resume regardless)', async () => {
    const media = fakeMedia();
    media.fail();
    const b = batcher(media.bus);
    await expect(Promise.all([b.resume(conn(1), 's1'), b.resume(conn(2), 's2')])).resolves.toEqual([undefined, undefined]);
    expect(media.requests).toHaveLength(1);
  });
});
