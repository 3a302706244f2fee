import { Module } from '@nestjs/common';
import { CallsModule } from '../calls/calls.module.js';
import { ChunksModule } from '../chunks/chunks.module.js';
import { SessionsHandler } from './sessions.handler.js';

/** `session.resume` from the gateway: moves a resumed connection's call legs and chunk sources. */
@Module({ imports: [CallsModule, ChunksModule], providers: [SessionsHandler] })
export class SessionsModule {}
