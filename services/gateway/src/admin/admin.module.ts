import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { ADMIN_CONTROLLERS, ADMIN_PROVIDERS } from './admin.providers.js';
import { GrpcClientsModule } from './grpc-clients.module.js';

/** The admin REST API (/admin/v1): its controllers, guard, audit and per-resource services over gRPC. */
@Module({ imports: [GrpcClientsModule, AuthModule], controllers: ADMIN_CONTROLLERS, providers: ADMIN_PROVIDERS })
export class AdminModule {}
