import { AuthError, TokenVerifier } from '../../auth/token.verifier.js';
import { ProtocolError } from '@switchboard/protocol';
import { AdminController } from '../http/admin-controller.js';
import { AdminRoute, Input, type InputOf } from '../http/route.js';
import { adminRoutes as r, type AdminRoutes as R } from '../routes.js';

@AdminController()
export class TokensController {
  constructor(private readonly verifier: TokenVerifier) {}

  /** Mints a client JWT (HS256) for the given user. */
  @AdminRoute(r.mintToken)
  async mint(@Input() { body }: InputOf<R['mintToken']>) {
    const { ttlSeconds, ...claims } = body;
    try {
      return await this.verifier.mint(claims, ttlSeconds);
    } catch (err) {
      if (err instanceof AuthError) throw new ProtocolError('unavailable', err.message);
      throw err;
    }
  }
}
