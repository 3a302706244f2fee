import { Module } from '@nestjs/common';
import { DueStore, RoomEventsPublisher, WindowCounter } from '@switchboard/platform';

/** Platform pieces several gateway domains use, one instance per replica: room event publishing, due timers, window counters. */
@Module({ providers: [RoomEventsPublisher, DueStore, WindowCounter], exports: [RoomEventsPublisher, DueStore, WindowCounter] })
export class GatewayPlatformModule {}
