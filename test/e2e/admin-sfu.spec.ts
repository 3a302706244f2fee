import { startGateway } from '@switchboard/gateway/service';
import { startMedia } from '@switchboard/media/service';
import { startPresence } from '@switchboard/presence/service';
import { startRooms } from '@switchboard/rooms/service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeLivekit } from '@switchboard/testing/livekit-fake';
import { ADMIN_KEY, mediaTestEnv, Stack, testEnv, uid, until } from '@switchboard/testing/stack';
import type { LooseJson } from '@switchboard/testing/json';

/**
 * SFU admin end to end: WebSocket clients get `media.token` through the gateway, join the
 * (fake) LiveKit with it, and the admin REST API lists, mutes and removes them over the media
 * service's gRPC API; mutations land in the audit log; media.* room events reach the clients.
 */
describe('admin REST: SFU participants', () => {
  const stack = new Stack();
  let gw: Awaited<ReturnType<typeof startGateway>>;
  let lk: FakeLivekit;

  beforeAll(async () => {
    lk = await FakeLivekit.start({ apiKey: 'admin-sfu-key', apiSecret: 'admin-sfu-secret-admin-sfu-secret' });
    const rooms = await stack.add(startRooms(testEnv()));
    await stack.add(startPresence(testEnv()));
    const media = await stack.add(
      startMedia(mediaTestEnv({ ROOMS_GRPC_URL: `127.0.0.1:${rooms.grpcPort}`, LIVEKIT_URL: lk.url, LIVEKIT_API_KEY: 'admin-sfu-key', LIVEKIT_API_SECRET: 'admin-sfu-secret-admin-sfu-secret' })),
    );
    lk.setWebhookUrl(`http://127.0.0.1:${media.httpPort}/livekit/webhook`);
    gw = await stack.add(startGateway(testEnv({ ROOMS_GRPC_URL: `127.0.0.1:${rooms.grpcPort}`, MEDIA_GRPC_URL: `127.0.0.1:${media.grpcPort}` })));
  });
  afterAll(async () => {
    await stack.stop();
    await lk.stop();
  });

  async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: LooseJson }> {
    const res = await fetch(`http://127.0.0.1:${gw.httpPort}/admin/v1${path}`, { method, headers: { 'x-api-key': ADMIN_KEY, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  it('lists, mutes and removes a room\'s LiveKit participants; audited; clients see media.* events', async () => {
    const alice = await stack.client(gw, uid('alice'));
    const bob = await stack.client(gw, uid('bob'));
    const { room } = await alice.request('room.create', { name: 'sfu', kind: 'sfu', joinPolicy: 'open' });
    await bob.request('room.join', { roomId: room.id });
    const grant = await bob.request('media.token', { roomId: room.id });
    expect(grant.url).toBe(lk.url);
    const p = await lk.join(grant.token);
    await lk.publish(room.id, p.identity, 'audio');
    const identity = `${bob.hello.userId}:${bob.hello.connectionId}`;
    expect(p.identity).toBe(identity);
    await alice.waitFor('media.track_published', (e) => e.data.identity === identity);

    const listed = await api('GET', `/rooms/${room.id}/sfu/participants`);
    expect(listed).toMatchObject({ status: 200, body: { participants: [{ identity, userId: bob.hello.userId, connectionId: bob.hello.connectionId, canPublish: true, tracks: [{ kind: 'audio', source: 'microphone', muted: false }] }] } });

    const muted = await api('POST', `/rooms/${room.id}/sfu/participants/${encodeURIComponent(identity)}/mute`, { muted: true });
    expect(muted).toEqual({ status: 200, body: { tracksMuted: 1 } });
    expect(lk.participant(room.id, identity)?.permission?.canPublish).toBe(false);

    const removed = await api('DELETE', `/rooms/${room.id}/sfu/participants/${encodeURIComponent(identity)}`);
    expect(removed).toEqual({ status: 200, body: { removed: true } });
    await alice.waitFor('media.participant_left', (e) => e.data.identity === identity);
    expect((await api('DELETE', `/rooms/${room.id}/sfu/participants/${encodeURIComponent(identity)}`)).status).toBe(404);
    expect((await api('GET', `/rooms/${room.id}/sfu/participants/not-an-identity/mute`)).status).toBe(405);
    expect((await api('POST', `/rooms/${room.id}/sfu/participants/not-an-identity/mute`, {})).status).toBe(400);

    type Entry = { action: string; target: string; outcome: string; details: Record<string, unknown> };
    const mine = async () => ((await api('GET', '/audit?limit=50')).body.entries as Entry[]).filter((e) => e.target === `${room.id}/${identity}`);
    await until(async () => (await mine()).length >= 3, 'audit entries');
    const entries = await mine();
    expect(entries.map((e) => e.action).sort()).toEqual(['sfu.mute', 'sfu.remove', 'sfu.remove']);
    expect(entries.find((e) => e.action === 'sfu.mute')).toMatchObject({ outcome: 'ok', details: { muted: true, tracksMuted: 1 } });
    expect(entries.filter((e) => e.action === 'sfu.remove').map((e) => e.outcome).sort()).toEqual(['not_found', 'ok'].sort());
  });
});
