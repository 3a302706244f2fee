import { createHmac } from 'node:crypto';
import { startGateway } from '@switchboard/gateway/service';
import { startMedia } from '@switchboard/media/service';
import { callUnary, grpcClient } from '@switchboard/platform';
import { media } from '@switchboard/proto';
import { ICE_BATCH_MAX_USERS, ICE_ON_REQUEST_PROTOCOL } from '@switchboard/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GRPC_SECRET, mediaTestEnv, Stack, testEnv, uid } from '@switchboard/testing/stack';

const TURN_SECRET = 'turn-test-secret-turn-test-secret';

/** The media service hands out STUN plus per-user TURN credentials; hello carries them. */
describe('ICE servers from the media service', () => {
  const stack = new Stack();
  let gw: Awaited<ReturnType<typeof startGateway>>;
  let mediaSvc: Awaited<ReturnType<typeof startMedia>>;

  beforeAll(async () => {
    mediaSvc = await stack.add(startMedia(mediaTestEnv({ STUN_URLS: 'stun:127.0.0.1:3478', TURN_URLS: 'turn:127.0.0.1:3478?transport=udp,turn:127.0.0.1:3478?transport=tcp', TURN_SECRET, TURN_TTL_S: '600' })));
    gw = await stack.add(startGateway(testEnv({ STUN_URLS: 'stun:fallback.invalid:3478' })));
  });
  afterAll(() => stack.stop());

  const verify = (server: { username?: string; credential?: string }, userId: string) => {
    const [expiry, user] = server.username!.split(':');
    expect(user).toBe(userId);
    expect(Number(expiry) * 1000).toBeGreaterThan(Date.now() + 500_000);
    expect(server.credential).toBe(createHmac('sha1', TURN_SECRET).update(server.username!).digest('base64'));
  };

  it('sends hello at once with the STUN defaults, then session.ice with fresh TURN credentials, and answers ice.servers', async () => {
    const userId = uid('ice');
    const c = await stack.client(gw, userId);
    // Nothing cached for this user: hello does not wait for media (ADR 0080).
    expect(c.hello).toMatchObject({ iceServersPending: true, iceServers: [{ urls: ['stun:fallback.invalid:3478'] }] });
    const ice = await c.iceServers();
    expect(c.events.map((e) => e.type).slice(0, 2)).toEqual(['hello', 'session.ice']);
    expect(ice[0]).toEqual({ urls: ['stun:127.0.0.1:3478'] });
    expect(ice[1].urls).toEqual(['turn:127.0.0.1:3478?transport=udp', 'turn:127.0.0.1:3478?transport=tcp']);
    verify(ice[1], userId);
    const again = await c.request('ice.servers');
    verify(again.iceServers[1], userId);
    expect(again.expiresAt).toBe(Number(again.iceServers[1].username.split(':')[0]) * 1000);
    // Another connect of the user within half the credentials' lifetime: hello reuses them (ADR 0058), nothing pending.
    const second = await stack.client(gw, userId);
    expect(second.hello.iceServersPending).toBeUndefined();
    expect(second.hello.iceServers[1]).toEqual(ice[1]);
    expect(second.events.some((e) => e.type === 'session.ice')).toBe(false);
  });

  it('a client offering ice.on-request gets the STUN defaults and iceServersOnRequest, no session.ice; ice.servers answers with TURN (ADR 0095)', async () => {
    const userId = uid('ice');
    const c = await stack.client(gw, userId, { protocols: ['switchboard.v1', ICE_ON_REQUEST_PROTOCOL] });
    expect(c.hello).toMatchObject({ iceServersOnRequest: true, iceServers: [{ urls: ['stun:fallback.invalid:3478'] }] });
    expect(c.hello.iceServersPending).toBeUndefined();
    const asked = await c.iceServers();
    verify(asked[1], userId);
    // A session.ice would have been written before that reply (the ICE batch window is 50 ms, media answered within it).
    await c.request('ping');
    expect(c.events.some((e) => e.type === 'session.ice')).toBe(false);
    // The gateway has this user's credentials cached (another connect without the offer fetched them): hello carries them as before.
    const pushed = await stack.client(gw, userId);
    await pushed.iceServers();
    const third = await stack.client(gw, userId, { protocols: ['switchboard.v1', ICE_ON_REQUEST_PROTOCOL] });
    expect(third.hello.iceServersOnRequest).toBeUndefined();
    verify(third.hello.iceServers[1], userId);
  });

  it('with HELLO_ICE=wait, hello waits for the TURN credentials as before (clients that ignore session.ice)', async () => {
    const waiting = await stack.add(startGateway(testEnv({ STUN_URLS: 'stun:fallback.invalid:3478', HELLO_ICE: 'wait' })));
    const userId = uid('ice');
    const c = await stack.client(waiting, userId);
    expect(c.hello.iceServersPending).toBeUndefined();
    verify(c.hello.iceServers[1], userId);
  });

  it('serves the same over gRPC, with typed errors for bad input and for parts not built', async () => {
    const client = grpcClient(media.MediaServiceClient, `127.0.0.1:${mediaSvc.grpcPort}`, GRPC_SECRET);
    try {
      const res = await callUnary(client, client.getIceServers, { userId: 'grpc-user' }, 2000);
      verify(res.iceServers[1], 'grpc-user');
      await expect(callUnary(client, client.getIceServers, { userId: 'a.b' }, 2000)).rejects.toMatchObject({ code: 'bad_request' });
      await expect(callUnary(client, client.mintToken, { roomId: 'r', userId: 'u', name: '' }, 2000)).rejects.toMatchObject({ code: 'unavailable' });
    } finally {
      client.close();
    }
  });

  it('answers a gateway\'s batch (ice.for_users) per distinct user, within its limit', async () => {
    const bus = await stack.testBus();
    const caller = { userId: '', connectionId: '', sessionId: '', nodeId: 'gw-test', name: 'gateway', device: '', roles: [] };
    const [a, b] = [uid('ice'), uid('ice')];
    const reply = await bus.request('media', 'ice.for_users', caller, { userIds: [a, b, a] });
    expect(reply.users.map((u) => u.userId)).toEqual([a, b]);
    for (const u of reply.users) {
      verify(u.iceServers[1], u.userId);
      expect(u.expiresAt).toBe(Number(u.iceServers[1].username!.split(':')[0]) * 1000);
    }
    const tooMany = Array.from({ length: ICE_BATCH_MAX_USERS + 1 }, (_, i) => `u${i}`);
    await expect(bus.request('media', 'ice.for_users', caller, { userIds: tooMany })).rejects.toMatchObject({ code: 'bad_request' });
    await expect(bus.request('media', 'ice.for_users', caller, { userIds: [] })).rejects.toMatchObject({ code: 'bad_request' });
  });

  it('answers media verbs that are not built yet with unavailable', async () => {
    const c = await stack.client(gw);
    await expect(c.request('media.token', { roomId: 'r1' })).rejects.toMatchObject({ code: 'unavailable' });
  });

  it('falls back to the gateway STUN_URLS when the media service is down', async () => {
    await mediaSvc.stop();
    const c = await stack.client(gw);
    expect(c.hello.iceServers).toEqual([{ urls: ['stun:fallback.invalid:3478'] }]);
    // session.ice still comes (after the batch's timeout), with the same defaults.
    expect(await c.iceServers()).toEqual([{ urls: ['stun:fallback.invalid:3478'] }]);
  });
});
