import { Module } from '@nestjs/common';
import { DueStore, RoomEventsPublisher } from '@switchboard/platform';

/** Platform pieces several domains use, one instance per replica: room event publishing and the due-timer set. */
@Module({ providers: [RoomEventsPublisher, DueStore], exports: [RoomEventsPublisher, DueStore] })
export class MediaPlatformModule {}
