import { Module, type DynamicModule } from '@nestjs/common';
import { PlatformModule, type Platform } from '@switchboard/platform';
import { IceHandler } from './ice/ice.handler.js';
import { IceService } from './ice/ice.service.js';
import { NoSfu, SfuAccess } from './sfu/sfu.access.js';

/** Media service: ICE/TURN today; calls, LiveKit and chunks are not built yet (README). */
@Module({})
export class AppModule {
  static register(platform: Platform): DynamicModule {
    return { module: AppModule, imports: [PlatformModule.forPlatform(platform)], providers: [IceService, IceHandler, { provide: SfuAccess, useClass: NoSfu }] };
  }
}
