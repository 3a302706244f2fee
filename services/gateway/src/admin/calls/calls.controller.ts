import { AdminController } from '../http/admin-controller.js';
import { AdminRoute, Input, type InputOf } from '../http/route.js';
import { adminRoutes as r, type AdminRoutes as R } from '../routes.js';
import { AdminCallsService } from './calls.service.js';

@AdminController()
export class AdminCallsController {
  constructor(private readonly calls: AdminCallsService) {}

  @AdminRoute(r.listCalls)
  list(@Input() { query }: InputOf<R['listCalls']>) {
    return this.calls.list(query);
  }

  @AdminRoute(r.getCall)
  get(@Input() { params }: InputOf<R['getCall']>) {
    return this.calls.get(params.callId);
  }
}
