import { Module } from '@nestjs/common';
import { CONFIG, DueStore, NATS, natsInboxPrefix, ObjectStorage, ROOM_EVENT_ACKS, RoomEventsPublisher, StreamAcks, WindowCounter, type NatsConnection } from '@switchboard/platform';
import type { RoomsConfig } from './config.js';
import { LobbyMarks } from './lobby/lobby.marks.js';
import { LobbyTrackingPublisher } from './lobby/lobby.publisher.js';

/** Resent after 1 s without an ack (a stream leader election), given up after 30 s. */
const ACK_RESEND_MS = 1000;
const ACK_GIVE_UP_MS = 30_000;

/**
 * Platform pieces several domains use, one instance per replica: the room event publisher
 * (which marks registry changes for the lobby, so it depends on LobbyMarks, never on a domain
 * service: ADR 0074), the due-timer set, window counters and object storage.
 */
@Module({
  providers: [
    // Rooms owns the room event streams (service.ts creates them before serving), so its
    // events are published with stream acks (ADR 0048); ROOM_EVENTS_ACK_WINDOW=0 turns that off.
    {
      provide: ROOM_EVENT_ACKS,
      inject: [CONFIG, NATS],
      useFactory: (c: RoomsConfig, nc: NatsConnection) =>
        c.ROOM_EVENTS_ACK_WINDOW > 0
          ? new StreamAcks(nc, natsInboxPrefix(c.NATS_USER ?? 'rooms'), { window: c.ROOM_EVENTS_ACK_WINDOW, ackTimeoutMs: ACK_RESEND_MS, giveUpMs: ACK_GIVE_UP_MS })
          : undefined,
    },
    LobbyMarks,
    { provide: RoomEventsPublisher, useClass: LobbyTrackingPublisher },
    DueStore,
    WindowCounter,
    ObjectStorage,
  ],
  exports: [RoomEventsPublisher, LobbyMarks, DueStore, WindowCounter, ObjectStorage],
})
export class RoomsPlatformModule {}
