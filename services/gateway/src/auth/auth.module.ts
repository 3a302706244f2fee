import { Module } from '@nestjs/common';
import { TokenVerifier } from './token.verifier.js';

/** Client token verification: the WebSocket upgrade, `session.refresh` and the admin API's client-token routes. */
@Module({ providers: [TokenVerifier], exports: [TokenVerifier] })
export class AuthModule {}
