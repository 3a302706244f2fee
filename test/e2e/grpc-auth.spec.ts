import * as grpc from '@grpc/grpc-js';
import { startAttestation } from '@switchboard/attestation/service';
import { startMedia } from '@switchboard/media/service';
import { callUnary, grpcClient } from '@switchboard/platform';
import { startPresence } from '@switchboard/presence/service';
import { health, media, presence, rooms } from '@switchboard/proto';
import { startRooms } from '@switchboard/rooms/service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GRPC_SECRET, mediaTestEnv, Stack, testEnv, uid } from '@switchboard/testing/stack';

/**
 * Trust boundary (issue 10 item 9): every service's gRPC port, health included, refuses a
 * caller without the shared-secret call credentials (GRPC_AUTH_SECRET) and serves one with it.
 */
describe('gRPC call credentials on every service port', () => {
  const stack = new Stack();
  const ports: Record<string, number> = {};
  const clients: grpc.Client[] = [];
  const track = <C extends grpc.Client>(c: C) => (clients.push(c), c);

  beforeAll(async () => {
    ports.rooms = (await stack.add(startRooms(testEnv()))).grpcPort!;
    ports.presence = (await stack.add(startPresence(testEnv()))).grpcPort!;
    ports.media = (await stack.add(startMedia(mediaTestEnv({ ROOMS_GRPC_URL: `127.0.0.1:${ports.rooms}` })))).grpcPort!;
    ports.attestation = (await stack.add(startAttestation(testEnv()))).grpcPort!;
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await stack.stop();
  });

  const anonymous = <C extends grpc.Client>(Ctor: new (address: string, credentials: grpc.ChannelCredentials) => C, port: number) =>
    track(new Ctor(`127.0.0.1:${port}`, grpc.credentials.createInsecure()));

  it.each(['rooms', 'presence', 'media', 'attestation'])('%s: health refuses a caller without credentials and answers one with them', async (name) => {
    const bare = anonymous(health.HealthClient, ports[name]);
    await expect(callUnary(bare, bare.check, { service: '' }, 2000)).rejects.toMatchObject({ code: 'unauthorized' });
    const wrong = track(grpcClient(health.HealthClient, `127.0.0.1:${ports[name]}`, 'not-the-secret-at-all'));
    await expect(callUnary(wrong, wrong.check, { service: '' }, 2000)).rejects.toMatchObject({ code: 'unauthorized' });
    const ok = track(grpcClient(health.HealthClient, `127.0.0.1:${ports[name]}`, GRPC_SECRET));
    expect((await callUnary(ok, ok.check, { service: '' }, 2000)).status).toBe(health.HealthCheckResponse_ServingStatus.SERVING);
  });

  it('refuses the privileged methods the issue abused without credentials', async () => {
    const r = anonymous(rooms.RoomsServiceClient, ports.rooms);
    await expect(callUnary(r, r.removeUser, rooms.RemoveUserRequest.fromPartial({ roomId: uid('r'), userId: uid('u') }), 2000)).rejects.toMatchObject({ code: 'unauthorized' });
    await expect(callUnary(r, r.closeRoom, rooms.CloseRoomRequest.fromPartial({ roomId: uid('r') }), 2000)).rejects.toMatchObject({ code: 'unauthorized' });
    const p = anonymous(presence.PresenceServiceClient, ports.presence);
    await expect(callUnary(p, p.listConnections, presence.ListConnectionsRequest.fromPartial({ userId: uid('u') }), 2000)).rejects.toMatchObject({ code: 'unauthorized' });
    const m = anonymous(media.MediaServiceClient, ports.media);
    await expect(callUnary(m, m.listCalls, media.ListCallsRequest.fromPartial({}), 2000)).rejects.toMatchObject({ code: 'unauthorized' });
  });
});
