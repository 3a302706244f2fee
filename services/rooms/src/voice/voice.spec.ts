import { callUnary, grpcClient, loadConfig, ObjectStorage, objectStorageConfigSchema } from '@switchboard/platform';
import { rooms as proto } from '@switchboard/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3TestEnv } from '../../../../test/support/stack.js';
import { FAST_TIMERS, GRPC_SECRET, RoomsHarness } from '../testing/harness.test.js';

/** Rooms stores what media muxed as it is (media's tests and test/e2e/ptt-audio.spec.ts check the Ogg/Opus format). */
const recording = Buffer.from('OggS fake recording bytes for storage tests');

describe('voice messages (recorded push-to-talk spurts) in rooms', () => {
  let h: RoomsHarness;
  let client: proto.RoomsServiceClient;
  const s3 = new ObjectStorage(loadConfig(objectStorageConfigSchema, s3TestEnv()));
  beforeAll(async () => {
    // Voice messages expire 6 s after they were spoken; retention runs every 100 ms. Long enough
    // for the post, history and download steps on a loaded box (at 1.5 s the download sometimes
    // came after the retention and got attachment not found).
    h = await RoomsHarness.start(2, { ...FAST_TIMERS, VOICE_RETENTION_MS: '6000', ATTACHMENT_GC_INTERVAL_MS: '100', VOICE_MAX_BYTES: '4096' });
    client = grpcClient(proto.RoomsServiceClient, `127.0.0.1:${h.replicas[0]!.grpcPort}`, GRPC_SECRET);
  });
  afterAll(async () => {
    client.close();
    await h.stop();
    s3.onModuleDestroy();
  });

  it('posts once per talk, shows in history for members, downloads, and is deleted with its object after the retention', async () => {
    const { roomId, owner } = await h.room();
    const bob = await h.joined(roomId);
    const log = await h.watchRoom(roomId);
    const req = { roomId, userId: bob.userId, talkId: 'talk1', ogg: recording, durationMs: 1234, startedAtMs: Date.now() };
    const posted = await callUnary(client, client.postVoiceMessage, req, 10_000);
    // A retry of the same talk (media retried after a lost reply) posts nothing new.
    expect(await callUnary(client, client.postVoiceMessage, req, 10_000)).toEqual(posted);
    const live = await log.waitFor('chat.message');
    expect(live.data.message).toMatchObject({ id: posted.messageId, userId: bob.userId, kind: 'voice', voice: { attachmentId: posted.attachmentId, talkId: 'talk1', durationMs: 1234, size: recording.length, contentType: 'audio/ogg' } });
    const { messages } = await h.req('chat.history', owner, { roomId });
    expect(messages.filter((m: { kind?: string }) => m.kind === 'voice')).toHaveLength(1);
    const { download } = await h.req('chat.download', owner, { roomId, attachmentId: posted.attachmentId });
    expect(Buffer.from(await (await fetch(download.url)).arrayBuffer()).equals(recording)).toBe(true);

    // Retention: the message goes (announced) and so does its object.
    expect((await log.waitFor('chat.deleted', () => true, 20_000)).data).toEqual({ messageId: posted.messageId });
    await h.waitUntil(async () => (await s3.head(`rooms/${roomId}/voice/talk1.ogg`)) === null, 'the recording deleted');
    const after = await h.req('chat.history', owner, { roomId });
    expect(after.messages.find((m: { id: string }) => m.id === posted.messageId)).toMatchObject({ deleted: true, kind: 'voice' });
    expect(after.messages.find((m: { id: string }) => m.id === posted.messageId).voice).toBeUndefined();
  });

  it('refuses oversize recordings, bad talk ids and unknown rooms', async () => {
    const { roomId, owner } = await h.room();
    const call = (over: object) => callUnary(client, client.postVoiceMessage, { roomId, userId: owner.userId, talkId: 't2', ogg: recording, durationMs: 10, startedAtMs: 0, ...over }, 10_000).then(() => 'ok', (err: { code: string }) => err.code);
    expect(await call({ ogg: Buffer.alloc(5000) })).toBe('too_large');
    expect(await call({ talkId: '../x' })).toBe('bad_request');
    expect(await call({ ogg: Buffer.alloc(0) })).toBe('bad_request');
    expect(await call({ roomId: 'r_missing' })).toBe('not_found');
  });
});
