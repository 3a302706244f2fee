import { Module } from '@nestjs/common';
import { IceHandler } from './ice.handler.js';
import { IceService } from './ice.service.js';

/** ICE servers and TURN credentials (`ice.servers`). The handler is exported for the root gRPC entry. */
@Module({ providers: [IceService, IceHandler], exports: [IceService, IceHandler] })
export class IceModule {}
