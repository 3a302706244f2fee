import { Module, type DynamicModule } from '@nestjs/common';
import { PlatformModule, type Platform } from '@switchboard/platform';
import { PrismaLifecycle, prismaProvider } from './db/prisma.provider.js';
import { RoomEventsPublisher } from './events/room-events.publisher.js';
import { ParticipantsStore } from './rooms/participants.store.js';
import { RoomsGrpcHandler, RoomsHandler } from './rooms/rooms.handler.js';
import { RoomsService } from './rooms/rooms.service.js';
import { RoomsStore } from './rooms/rooms.store.js';

@Module({})
export class AppModule {
  static register(platform: Platform): DynamicModule {
    return {
      module: AppModule,
      imports: [PlatformModule.forPlatform(platform)],
      providers: [prismaProvider, PrismaLifecycle, RoomEventsPublisher, ParticipantsStore, RoomsStore, RoomsService, RoomsHandler, RoomsGrpcHandler],
    };
  }
}
