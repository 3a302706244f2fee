import { AdminController } from '../http/admin-controller.js';
import { AdminRoute, Input, type InputOf } from '../http/route.js';
import { adminRoutes as r, type AdminRoutes as R } from '../routes.js';
import { AdminTokenService } from './admin-token.service.js';

@AdminController()
export class AdminTokensController {
  constructor(private readonly tokens: AdminTokenService) {}

  /** Mints an admin JWT; API-key callers only (the route says `apiKeyOnly`). */
  @AdminRoute(r.mintAdminToken)
  mint(@Input() { body }: InputOf<R['mintAdminToken']>) {
    return this.tokens.mint(body.subject, body.ttlSeconds);
  }

  @AdminRoute(r.revokeAdminToken)
  revoke(@Input() { body }: InputOf<R['revokeAdminToken']>) {
    return this.tokens.revoke(body.jti);
  }
}
