import { SwitchboardClient } from '@switchboard/client/node';
import { startGateway } from '@switchboard/gateway/service';
import { startRooms } from '@switchboard/rooms/service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, putPresigned, Stack, testEnv, TINY_PNG, token, uid, until } from '../support/stack.js';
import type { LooseJson } from '@switchboard/testing/json';

const PNG = TINY_PNG;

/**
 * Issue 17, channels and custom emoji end to end: WebSocket clients on two gateway replicas,
 * rooms on Postgres/Redis/NATS, emoji images through presigned URLs on the real S3-compatible
 * test store; channel events and chat events carrying channelId, also when replayed by
 * session.resume (ADR 0050).
 */
describe('channels and custom emoji over the gateway', () => {
  const stack = new Stack();
  let gw1: Awaited<ReturnType<typeof startGateway>>;
  let gw2: Awaited<ReturnType<typeof startGateway>>;

  beforeAll(async () => {
    // Generous deadlines: correctness is under test on a shared, loaded machine, not latency.
    const rooms = await stack.add(startRooms(testEnv({ REQUEST_TIMEOUT_MS: '15000', DISCONNECT_GRACE_MS: '20000' })));
    gw1 = await stack.add(startGateway(testEnv({ ROOMS_GRPC_URL: `127.0.0.1:${rooms.grpcPort}`, REQUEST_TIMEOUT_MS: '15000' })));
    gw2 = await stack.add(startGateway(testEnv({ REQUEST_TIMEOUT_MS: '15000' })));
  });
  afterAll(() => stack.stop());

  it('moderators manage channels, members chat, type and read per channel, and use a custom emoji uploaded through the presigned URL', async () => {
    const alice = await stack.client(gw1, uid('alice'));
    const bob = await stack.client(gw2, uid('bob'));
    const { room } = await alice.request('room.create', { name: 'team', kind: 'group', joinPolicy: 'open' });
    await bob.request('room.join', { roomId: room.id });

    // roles: a member cannot manage channels or emoji
    await expect(bob.request('channel.create', { roomId: room.id, name: 'bobs' })).rejects.toMatchObject({ code: 'forbidden' });
    await expect(bob.request('emoji.upload', { roomId: room.id, name: 'bobs', size: PNG.length, contentType: 'image/png' })).rejects.toMatchObject({ code: 'forbidden' });

    const { channel: dev } = await alice.request('channel.create', { roomId: room.id, name: 'dev' });
    expect((await bob.waitFor('channel.created')).data.channel).toEqual(dev);

    await bob.request('chat.typing', { roomId: room.id, channelId: dev.id, typing: true });
    expect((await alice.waitFor('chat.typing', (e) => e.data.userId === bob.hello.userId)).data).toMatchObject({ typing: true, channelId: dev.id });

    const { message } = await bob.request('chat.send', { roomId: room.id, channelId: dev.id, text: 'ship it :rocket_cat:', clientMsgId: uid('m') });
    expect((await alice.waitFor('chat.message', (e) => e.data.message.id === message.id)).data.message.channelId).toBe(dev.id);
    await alice.request('chat.send', { roomId: room.id, text: 'in the lobby', clientMsgId: uid('m') });
    expect((await bob.request('chat.history', { roomId: room.id, channelId: dev.id })).messages.map((m: { id: string }) => m.id)).toEqual([message.id]);
    expect((await bob.request('chat.history', { roomId: room.id })).messages.map((m: { text: string }) => m.text)).toEqual(['in the lobby']);
    await alice.request('chat.read', { roomId: room.id, channelId: dev.id, messageId: message.id });
    expect((await bob.waitFor('chat.read')).data).toEqual({ userId: alice.hello.userId, messageId: message.id, channelId: dev.id });
    expect((await alice.request('chat.history', { roomId: room.id, channelId: dev.id })).lastReadId).toBe(message.id);
    expect((await alice.request('chat.history', { roomId: room.id })).lastReadId).toBeUndefined();

    // emoji: reserve, PUT to the store, claim; everyone learns of it
    const up = await alice.request('emoji.upload', { roomId: room.id, name: 'rocket_cat', size: PNG.length, contentType: 'image/png' });
    expect(await putPresigned(up.upload, PNG)).toBe(200);
    const { emoji } = await alice.request('emoji.create', { roomId: room.id, name: 'rocket_cat', attachmentId: up.attachmentId });
    expect((await bob.waitFor('emoji.created')).data.emoji).toEqual(emoji);

    await bob.request('chat.react', { roomId: room.id, channelId: dev.id, messageId: message.id, emoji: ':rocket_cat:', on: true });
    expect((await alice.waitFor('chat.reaction')).data).toEqual({ messageId: message.id, emoji: ':rocket_cat:', userId: bob.hello.userId, on: true, channelId: dev.id });
    await expect(bob.request('chat.react', { roomId: room.id, messageId: message.id, emoji: ':no_such_emoji:', on: true })).rejects.toMatchObject({ code: 'not_found' });

    const got = await bob.request('room.get', { roomId: room.id });
    expect(got.channels).toEqual([dev]);
    expect(got.emoji).toEqual([emoji]);
    const { download } = await bob.request('chat.download', { roomId: room.id, attachmentId: emoji.attachmentId });
    expect(Buffer.from(await (await fetch(download.url)).arrayBuffer()).equals(PNG)).toBe(true);

    // archive: history stays, sends are refused
    await alice.request('channel.archive', { roomId: room.id, channelId: dev.id, archived: true });
    expect((await bob.waitFor('channel.updated')).data.channel).toMatchObject({ id: dev.id, archived: true });
    await expect(bob.request('chat.send', { roomId: room.id, channelId: dev.id, text: 'late', clientMsgId: uid('m') })).rejects.toMatchObject({ code: 'conflict' });
    expect((await bob.request('chat.history', { roomId: room.id, channelId: dev.id })).messages).toHaveLength(1);
  });

  it('session.resume replays the events of every channel, each carrying its channelId, in the room seq order', async () => {
    const bobId = uid('bob');
    const alice = await stack.client(gw1, uid('alice'));
    const bob = await stack.client(gw2, bobId);
    const { room } = await alice.request('room.create', { name: 'resume', kind: 'group', joinPolicy: 'open' });
    const joined = await bob.request('room.join', { roomId: room.id });
    const { channel: ops } = await alice.request('channel.create', { roomId: room.id, name: 'ops' });
    const created = await bob.waitFor('channel.created');
    const lastSeq = Math.max(joined.seq, created.seq!);

    await bob.terminate();
    const { channel: dev } = await alice.request('channel.create', { roomId: room.id, name: 'dev' });
    const a = (await alice.request('chat.send', { roomId: room.id, channelId: ops.id, text: 'ops', clientMsgId: uid('m') })).message;
    const b = (await alice.request('chat.send', { roomId: room.id, channelId: dev.id, text: 'dev', clientMsgId: uid('m') })).message;
    const c = (await alice.request('chat.send', { roomId: room.id, text: 'default', clientMsgId: uid('m') })).message;
    await alice.waitFor('chat.message', (e) => e.data.message.id === c.id);

    const again = await SwitchboardClient.connect(`ws://127.0.0.1:${gw1.httpPort}/ws`, await token(bobId));
    stack.onStop(() => again.close());
    await again.request('session.resume', { sessionId: bob.hello.sessionId, rooms: { [room.id]: lastSeq } });
    const replayed = again.events.filter((e) => e.room === room.id && e.seq && e.seq > lastSeq) as { type: string; seq?: number; data: LooseJson }[];
    expect(replayed.filter((e) => e.type === 'channel.created').map((e) => e.data.channel.id)).toEqual([dev.id]);
    expect(replayed.filter((e) => e.type === 'chat.message').map((e) => [e.data.message.id, e.data.message.channelId])).toEqual([
      [a.id, ops.id],
      [b.id, dev.id],
      [c.id, undefined],
    ]);
    const seqs = replayed.map((e) => e.seq!);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
  });

  async function api(method: string, path: string): Promise<{ status: number; body: LooseJson }> {
    const res = await fetch(`http://127.0.0.1:${gw1.httpPort}/admin/v1${path}`, { method, headers: { 'x-api-key': ADMIN_KEY } });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  it('admin REST lists and deletes a room\'s emoji (audited); members get emoji.deleted', async () => {
    const alice = await stack.client(gw1, uid('alice'));
    const bob = await stack.client(gw2, uid('bob'));
    const { room } = await alice.request('room.create', { name: 'emoji-admin', kind: 'group', joinPolicy: 'open' });
    await bob.request('room.join', { roomId: room.id });
    const up = await alice.request('emoji.upload', { roomId: room.id, name: 'blob', size: PNG.length, contentType: 'image/gif' });
    expect(await putPresigned(up.upload, PNG)).toBe(200);
    const { emoji } = await alice.request('emoji.create', { roomId: room.id, name: 'blob', attachmentId: up.attachmentId });

    expect(await api('GET', `/rooms/${room.id}/emoji`)).toEqual({ status: 200, body: { emoji: [emoji] } });
    expect((await api('GET', `/rooms/${room.id}/storage`)).body).toEqual({ bytes: PNG.length, objects: 1 });
    expect((await api('DELETE', `/rooms/${room.id}/emoji/Not%20A%20Name`)).status).toBe(400);
    expect(await api('DELETE', `/rooms/${room.id}/emoji/blob`)).toEqual({ status: 200, body: { deleted: true } });
    expect((await bob.waitFor('emoji.deleted')).data).toEqual({ name: 'blob' });
    expect((await api('DELETE', `/rooms/${room.id}/emoji/blob`)).status).toBe(404);
    expect(await api('GET', `/rooms/${room.id}/emoji`)).toEqual({ status: 200, body: { emoji: [] } });
    expect((await api('GET', `/rooms/${room.id}/storage`)).body).toEqual({ bytes: 0, objects: 0 });
    expect((await api('GET', '/rooms/r_nope/emoji')).status).toBe(404);

    const audit = async () => ((await api('GET', '/audit?limit=50')).body.entries as { action: string; target: string; outcome: string }[]).filter((e) => e.target === `${room.id}/blob`);
    await until(async () => (await audit()).length >= 2, 'audit entries');
    expect((await audit()).map((e) => `${e.action}:${e.outcome}`).sort()).toEqual(['emoji.delete:not_found', 'emoji.delete:ok']);
  });
});
