import { ensureRoomEventStream, LOGGER, startService, type ServiceOptions } from '@switchboard/platform';
import { rooms } from '@switchboard/proto';
import { RoomsGrpcHandler } from './grpc.handler.js';
import { AppModule } from './app.module.js';
import { roomsConfigSchema, type RoomsConfig } from './config.js';

/** Rooms service definition, shared by main.ts and in-process integration tests. */
export const roomsService = (env?: Record<string, string | undefined>): ServiceOptions<typeof roomsConfigSchema> => ({
  service: 'rooms',
  configSchema: roomsConfigSchema,
  env,
  redis: true,
  module: (p) => AppModule.register(p),
  grpc: (app) => [{ name: 'switchboard.rooms.v1.RoomsService', definition: rooms.RoomsServiceService, implementation: app.get(RoomsGrpcHandler).implementation(app.get(LOGGER)) }],
  // The stream must exist before the first command is served, or early events miss it.
  prepare: async (p) => {
    const c: RoomsConfig = p.config;
    const limits = {
      maxAgeSeconds: c.ROOM_EVENTS_MAX_AGE_S,
      maxPerRoom: c.ROOM_EVENTS_MAX_PER_ROOM,
      maxMessages: c.ROOM_EVENTS_MAX_MSGS,
      maxBytes: c.ROOM_EVENTS_MAX_BYTES,
      maxMsgSize: c.ROOM_EVENTS_MAX_MSG_SIZE,
      streams: c.ROOM_EVENTS_STREAMS,
      replicas: c.ROOM_EVENTS_REPLICAS,
    };
    await ensureRoomEventStream(p.nc, limits);
  },
});

export const startRooms = (env?: Record<string, string | undefined>) => startService(roomsService(env));
