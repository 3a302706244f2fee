import { AdminController } from '../http/admin-controller.js';
import { AdminRoute, Input, type InputOf } from '../http/route.js';
import { adminRoutes as r, type AdminRoutes as R } from '../routes.js';
import { AuditService } from './audit.service.js';

@AdminController()
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @AdminRoute(r.listAudit)
  async list(@Input() { query }: InputOf<R['listAudit']>) {
    return { entries: await this.audit.list(query) };
  }
}
