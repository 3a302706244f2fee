import { AdminController } from '../http/admin-controller.js';
import { AdminRoute, Input, type InputOf } from '../http/route.js';
import { adminRoutes as r, type AdminRoutes as R } from '../routes.js';
import { AdminUsersService } from './users.service.js';

@AdminController()
export class AdminUsersController {
  constructor(private readonly users: AdminUsersService) {}

  @AdminRoute(r.getPresence)
  presence(@Input() { params }: InputOf<R['getPresence']>) {
    return this.users.presence(params.userId);
  }

  @AdminRoute(r.listSessions)
  sessions(@Input() { params }: InputOf<R['listSessions']>) {
    return this.users.sessions(params.userId);
  }

  @AdminRoute(r.disconnectUser)
  disconnect(@Input() { params, body }: InputOf<R['disconnectUser']>) {
    return this.users.disconnect(params.userId, body);
  }
}
