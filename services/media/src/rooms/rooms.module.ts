import { Module } from '@nestjs/common';
import { RoomsClient } from './rooms.client.js';

/** The rooms service's gRPC client (membership and roles), one per replica, for calls, SFU and recordings. */
@Module({ providers: [RoomsClient], exports: [RoomsClient] })
export class RoomsClientModule {}
