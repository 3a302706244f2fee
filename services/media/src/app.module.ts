import { Module, type DynamicModule } from '@nestjs/common';
import { PlatformModule, Sweeper, type Platform } from '@switchboard/platform';
import { CallsModule } from './calls/calls.module.js';
import { ChunksModule } from './chunks/chunks.module.js';
import { MediaCommandsHandler } from './commands.handler.js';
import { MediaGrpcHandler } from './grpc.handler.js';
import { IceModule } from './ice/ice.module.js';
import { PttModule } from './ptt/ptt.module.js';
import { SessionsModule } from './sessions/sessions.module.js';
import type { SfuAccess } from './sfu/sfu.access.js';
import { SfuModule } from './sfu/sfu.module.js';

/**
 * Media service: ICE/TURN, calls (state in Redis, log in Postgres), chunk distribution, LiveKit
 * (tokens, enforcement, webhooks), push-to-talk recordings. One module per domain (exporting
 * its service); the root holds only the NATS and gRPC entries and the sweeper.
 * `opts.sfu` replaces the SFU seam (tests).
 */
@Module({})
export class AppModule {
  static register(platform: Platform, opts: { sfu?: SfuAccess } = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [PlatformModule.forPlatform(platform), IceModule, CallsModule, ChunksModule, SfuModule.register(opts.sfu), PttModule, SessionsModule],
      providers: [Sweeper, MediaCommandsHandler, MediaGrpcHandler],
    };
  }
}
