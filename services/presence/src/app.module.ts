import { Module, type DynamicModule } from '@nestjs/common';
import { PlatformModule, type Platform } from '@switchboard/platform';

/** Not built yet: the process serves /healthz, /readyz, /metrics and grpc.health.v1 only. */
@Module({})
export class AppModule {
  static register(platform: Platform): DynamicModule {
    return { module: AppModule, imports: [PlatformModule.forPlatform(platform)] };
  }
}
