import { spawnSync } from 'node:child_process';
import * as grpc from '@grpc/grpc-js';
import { health, rooms } from '@switchboard/proto';
import { notFound } from '@switchboard/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callUnary, grpcClient, startGrpcServer, unaryHandlers, type GrpcServerHandle } from './grpc.js';
import { freePort } from '@switchboard/testing/infra';
import { createLogger } from './logger.js';
import { grpcClientMetrics, grpcServerMetrics, Registry } from './metrics.js';

const logger = createLogger({ service: 'test', level: 'silent', nodeId: 'n', production: false });
const SECRET = 'grpc-test-secret-0123456789';

function roomsImpl() {
  return unaryHandlers<rooms.RoomsServiceServer>(
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
        listEmoji: async () => ({ emoji: [] }),
        deleteEmoji: async () => ({}),
      },
      logger,
    );
}

describe('gRPC helpers', () => {
  let server: GrpcServerHandle;
  let client: rooms.RoomsServiceClient;
  let healthClient: health.HealthClient;

  beforeAll(async () => {
    server = await startGrpcServer({ host: '127.0.0.1', port: 0, authSecret: SECRET, services: [{ name: 'switchboard.rooms.v1.RoomsService', definition: rooms.RoomsServiceService, implementation: roomsImpl() }], logger });
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

describe('gRPC RED metrics, client and server side', () => {
  const GET_ROOM = '/switchboard.rooms.v1.RoomsService/GetRoom';
  const serverRegistry = new Registry();
  const clientRegistry = new Registry();
  let server: GrpcServerHandle;
  const clients: grpc.Client[] = [];
  const open = <C extends grpc.Client>(c: C) => (clients.push(c), c);

  beforeAll(async () => {
    server = await startGrpcServer({ host: '127.0.0.1', port: 0, authSecret: SECRET, services: [{ name: 'switchboard.rooms.v1.RoomsService', definition: rooms.RoomsServiceService, implementation: roomsImpl() }], logger, metrics: grpcServerMetrics(serverRegistry) });
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await server.stop(100);
  });

  /** Counter value and histogram count of one method/code as the registry exposes them. */
  async function sample(registry: Registry, prefix: 'client' | 'server', code: string) {
    const metrics = await registry.getMetricsAsJSON();
    const handled = metrics.find((m) => m.name === `switchboard_grpc_${prefix}_handled_total`)?.values.find((v) => v.labels.method === GET_ROOM && v.labels.code === code);
    const durations = metrics.find((m) => m.name === `switchboard_grpc_${prefix}_handling_seconds`)?.values.filter((v) => v.labels.method === GET_ROOM && (v as { metricName?: string }).metricName?.endsWith('_count'));
    return { calls: handled?.value ?? 0, labels: handled?.labels, timed: durations?.reduce((a, v) => a + v.value, 0) ?? 0 };
  }

  it('counts and times every call by gRPC service, method and status on the caller', async () => {
    const recorder = grpcClientMetrics(clientRegistry);
    expect(grpcClientMetrics(clientRegistry)).toBe(recorder); // one set per registry, however many channels
    const client = open(grpcClient(rooms.RoomsServiceClient, `127.0.0.1:${server.port}`, SECRET, recorder));
    const wrong = open(grpcClient(rooms.RoomsServiceClient, `127.0.0.1:${server.port}`, `${SECRET}x`, recorder));
    const nobody = open(grpcClient(rooms.RoomsServiceClient, `127.0.0.1:${await freePort()}`, SECRET, recorder));
    await callUnary(client, client.getRoom, { roomId: 'r1' }, 2000);
    await callUnary(client, client.getRoom, { roomId: 'r2' }, 2000);
    await expect(callUnary(client, client.getRoom, { roomId: 'missing' }, 2000)).rejects.toMatchObject({ code: 'not_found' });
    await expect(callUnary(wrong, wrong.getRoom, { roomId: 'r1' }, 2000)).rejects.toMatchObject({ code: 'unauthorized' });
    await expect(callUnary(client, client.getRoom, { roomId: 'slow' }, 100)).rejects.toMatchObject({ code: 'unavailable' });
    await expect(callUnary(nobody, nobody.getRoom, { roomId: 'r1' }, 2000)).rejects.toMatchObject({ code: 'unavailable' });

    expect(await sample(clientRegistry, 'client', 'OK')).toEqual({ calls: 2, labels: { grpc_service: 'switchboard.rooms.v1.RoomsService', method: GET_ROOM, code: 'OK' }, timed: 6 });
    expect((await sample(clientRegistry, 'client', 'NOT_FOUND')).calls).toBe(1);
    expect((await sample(clientRegistry, 'client', 'UNAUTHENTICATED')).calls).toBe(1);
    expect((await sample(clientRegistry, 'client', 'DEADLINE_EXCEEDED')).calls).toBe(1);
    // Only the caller sees a server that is not there.
    expect((await sample(clientRegistry, 'client', 'UNAVAILABLE')).calls).toBe(1);
    expect((await sample(serverRegistry, 'server', 'UNAVAILABLE')).calls).toBe(0);
    // The server saw the same successes, not-founds and refusals.
    expect((await sample(serverRegistry, 'server', 'NOT_FOUND')).calls).toBe(1);
    expect((await sample(serverRegistry, 'server', 'UNAUTHENTICATED')).calls).toBe(1);
  });

  it('exposes promtool-clean metric families', async () => {
    const text = await clientRegistry.metrics();
    expect(text).toContain('# TYPE switchboard_grpc_client_handled_total counter');
    expect(text).toContain('# TYPE switchboard_grpc_client_handling_seconds histogram');
    const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect({ status: r.status, out: `${r.stdout}${r.stderr}`.trim() }).toEqual({ status: 0, out: '' });
  });
});
