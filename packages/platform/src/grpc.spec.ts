import * as grpc from '@grpc/grpc-js';
import { health, rooms } from '@switchboard/proto';
import { notFound } from '@switchboard/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callUnary, grpcClient, startGrpcServer, unaryHandlers, type GrpcServerHandle } from './grpc.js';
import { createLogger } from './logger.js';

const logger = createLogger({ service: 'test', level: 'silent', nodeId: 'n', production: false });
const SECRET = 'grpc-test-secret-0123456789';

describe('gRPC helpers', () => {
  let server: GrpcServerHandle;
  let client: rooms.RoomsServiceClient;
  let healthClient: health.HealthClient;

  beforeAll(async () => {
    const impl = unaryHandlers<rooms.RoomsServiceServer>(
      {
        getRoom: async (req) => {
          if (req.roomId === 'missing') throw notFound('room not found');
          if (req.roomId === 'slow') await new Promise((r) => setTimeout(r, 1000));
          if (req.roomId === 'boom') throw new Error('db password leaked?');
          return { room: rooms.Room.fromPartial({ id: req.roomId, name: 'n' }), participants: [] };
        },
        listRooms: async () => ({ rooms: [], nextCursor: '' }),
        closeRoom: async () => ({}),
        listParticipants: async () => ({ participants: [] }),
        removeUser: async () => ({}),
        checkMembership: async () => rooms.CheckMembershipResponse.fromPartial({}),
        listAttachments: async () => ({ attachments: [], nextCursor: '' }),
        postVoiceMessage: async () => ({ messageId: '', attachmentId: '', size: 0 }),
        deleteAttachment: async () => ({}),
      },
      logger,
    );
    server = await startGrpcServer({ host: '127.0.0.1', port: 0, authSecret: SECRET, services: [{ name: 'switchboard.rooms.v1.RoomsService', definition: rooms.RoomsServiceService, implementation: impl }], logger });
    client = grpcClient(rooms.RoomsServiceClient, `127.0.0.1:${server.port}`, SECRET);
    healthClient = grpcClient(health.HealthClient, `127.0.0.1:${server.port}`, SECRET);
  });
  afterAll(async () => {
    client.close();
    healthClient.close();
    await server.stop(100);
  });

  it('serves typed unary calls', async () => {
    const res = await callUnary(client, client.getRoom, { roomId: 'r1' }, 2000);
    expect(res.room).toMatchObject({ id: 'r1', name: 'n' });
  });

  it('refuses calls without the shared secret or with a wrong one, health included', async () => {
    const bare = (Ctor: typeof rooms.RoomsServiceClient | typeof health.HealthClient) => new Ctor(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
    const noCreds = bare(rooms.RoomsServiceClient) as rooms.RoomsServiceClient;
    const noCredsHealth = bare(health.HealthClient) as health.HealthClient;
    const wrong = grpcClient(rooms.RoomsServiceClient, `127.0.0.1:${server.port}`, `${SECRET}x`);
    const prefix = grpcClient(rooms.RoomsServiceClient, `127.0.0.1:${server.port}`, SECRET.slice(0, 20));
    try {
      for (const [c, m] of [
        [noCreds, noCreds.getRoom],
        [wrong, wrong.getRoom],
        [prefix, prefix.getRoom],
      ] as const) {
        await expect(callUnary(c, m, { roomId: 'r1' }, 2000)).rejects.toMatchObject({ code: 'unauthorized' });
      }
      await expect(callUnary(noCredsHealth, noCredsHealth.check, { service: '' }, 2000)).rejects.toMatchObject({ code: 'unauthorized' });
      const watch = noCredsHealth.watch({ service: '' });
      const status = await new Promise<number>((resolve) => watch.on('error', (e: grpc.ServiceError) => resolve(e.code)));
      expect(status).toBe(grpc.status.UNAUTHENTICATED);
    } finally {
      for (const c of [noCreds, noCredsHealth, wrong, prefix]) c.close();
    }
  });

  it('maps protocol errors to status codes and back', async () => {
    await expect(callUnary(client, client.getRoom, { roomId: 'missing' }, 2000)).rejects.toMatchObject({ code: 'not_found', message: 'room not found' });
  });

  it('hides unexpected failures as internal', async () => {
    const err = await callUnary(client, client.getRoom, { roomId: 'boom' }, 2000).catch((e) => e);
    expect(err.code).toBe('internal');
    expect(err.message).not.toContain('password');
  });

  it('enforces deadlines as unavailable', async () => {
    await expect(callUnary(client, client.getRoom, { roomId: 'slow' }, 100)).rejects.toMatchObject({ code: 'unavailable' });
  });

  it('implements grpc.health.v1 Check, including NOT_SERVING while draining', async () => {
    const check = (service: string) => callUnary(healthClient, healthClient.check, { service }, 2000);
    expect((await check('')).status).toBe(health.HealthCheckResponse_ServingStatus.SERVING);
    expect((await check('switchboard.rooms.v1.RoomsService')).status).toBe(health.HealthCheckResponse_ServingStatus.SERVING);
    await expect(check('nope')).rejects.toBeTruthy();
    server.setServing(false);
    expect((await check('')).status).toBe(health.HealthCheckResponse_ServingStatus.NOT_SERVING);
    server.setServing(true);
  });

  it('streams status changes to Watch', async () => {
    const stream = healthClient.watch({ service: '' });
    stream.on('error', () => undefined); // cancel() below ends the stream with CANCELLED
    const seen: number[] = [];
    const done = new Promise<void>((resolve) =>
      stream.on('data', (m: health.HealthCheckResponse) => {
        seen.push(m.status);
        if (seen.length === 1) server.setServing(false);
        if (seen.length === 2) resolve();
      }),
    );
    await done;
    stream.cancel();
    server.setServing(true);
    expect(seen).toEqual([health.HealthCheckResponse_ServingStatus.SERVING, health.HealthCheckResponse_ServingStatus.NOT_SERVING]);
  });
});
