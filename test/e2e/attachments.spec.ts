import { randomBytes } from 'node:crypto';
import { startGateway } from '@switchboard/gateway/service';
import { loadConfig, ObjectStorage, objectStorageConfigSchema } from '@switchboard/platform';
import { startRooms } from '@switchboard/rooms/service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, s3TestEnv, Stack, testEnv, uid, until } from '../support/stack.js';
import type { LooseJson } from '@switchboard/testing/json';

/**
 * Attachments end to end: WebSocket clients upload through the presigned URL from chat.upload
 * to the real S3-compatible test store, another member downloads through chat.download, and the
 * admin REST API lists, sizes and deletes the room's files over the rooms gRPC API (audited).
 */
describe('attachments: clients over the gateway, admin REST, real S3-compatible store', () => {
  const stack = new Stack();
  const s3 = new ObjectStorage(loadConfig(objectStorageConfigSchema, s3TestEnv()));
  let gw: Awaited<ReturnType<typeof startGateway>>;

  beforeAll(async () => {
    // Generous deadlines: correctness is under test on a shared, loaded machine, not latency.
    const rooms = await stack.add(startRooms(testEnv({ REQUEST_TIMEOUT_MS: '15000' })));
    gw = await stack.add(startGateway(testEnv({ ROOMS_GRPC_URL: `127.0.0.1:${rooms.grpcPort}`, REQUEST_TIMEOUT_MS: '15000' })));
  });
  afterAll(async () => {
    await stack.stop();
    s3.onModuleDestroy();
  });

  async function api(method: string, path: string): Promise<{ status: number; body: LooseJson }> {
    const res = await fetch(`http://127.0.0.1:${gw.httpPort}/admin/v1${path}`, { method, headers: { 'x-api-key': ADMIN_KEY } });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  it('upload, send, member download, admin list/usage/delete; the deleted object is gone and downloads answer not_found', async () => {
    const alice = await stack.client(gw, uid('alice'));
    const bob = await stack.client(gw, uid('bob'));
    const { room } = await alice.request('room.create', { name: 'files', kind: 'group', joinPolicy: 'open' });
    await bob.request('room.join', { roomId: room.id });

    const body = randomBytes(2048);
    const up = await alice.request('chat.upload', { roomId: room.id, name: 'notes.txt', size: body.length, contentType: 'text/plain' });
    const put = await fetch(up.upload.url, { method: up.upload.method, headers: up.upload.headers, body: new Uint8Array(body) });
    expect(put.status).toBe(200);
    await alice.request('chat.send', { roomId: room.id, text: 'notes attached', clientMsgId: uid('c'), attachments: [{ attachmentId: up.attachmentId }] });
    const seen = await bob.waitFor('chat.message');
    expect(seen.data.message.attachments).toEqual([{ attachmentId: up.attachmentId, name: 'notes.txt', contentType: 'text/plain', size: 2048 }]);

    const { download } = await bob.request('chat.download', { roomId: room.id, attachmentId: up.attachmentId });
    const got = await fetch(download.url);
    expect(Buffer.from(await got.arrayBuffer()).equals(body)).toBe(true);

    const listed = await api('GET', `/rooms/${room.id}/attachments?limit=10`);
    expect(listed).toMatchObject({ status: 200, body: { attachments: [{ id: up.attachmentId, userId: alice.hello.userId, name: 'notes.txt', size: 2048, messageId: seen.data.message.id }], nextCursor: null, usage: { bytes: 2048, objects: 1 } } });
    expect(await api('GET', `/rooms/${room.id}/storage`)).toEqual({ status: 200, body: { bytes: 2048, objects: 1 } });

    expect(await api('DELETE', `/rooms/${room.id}/attachments/${up.attachmentId}`)).toEqual({ status: 200, body: { deleted: true } });
    expect(await s3.head(`rooms/${room.id}/attachments/${up.attachmentId}`)).toBeNull();
    expect((await api('DELETE', `/rooms/${room.id}/attachments/${up.attachmentId}`)).status).toBe(404);
    expect(await api('GET', `/rooms/${room.id}/storage`)).toEqual({ status: 200, body: { bytes: 0, objects: 0 } });
    await expect(bob.request('chat.download', { roomId: room.id, attachmentId: up.attachmentId })).rejects.toMatchObject({ code: 'not_found' });
    expect((await api('GET', `/rooms/${room.id}/attachments?cursor=bad!`)).status).toBe(400);

    const audit = async () => ((await api('GET', '/audit?limit=50')).body.entries as { action: string; target: string; outcome: string }[]).filter((e) => e.target === `${room.id}/${up.attachmentId}`);
    await until(async () => (await audit()).length >= 2, 'audit entries');
    expect((await audit()).map((e) => e.outcome).sort()).toEqual(['not_found', 'ok']);
  });
});
