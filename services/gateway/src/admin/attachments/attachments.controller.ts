import { AdminController } from '../http/admin-controller.js';
import { AdminRoute, Input, type InputOf } from '../http/route.js';
import { adminRoutes as r, type AdminRoutes as R } from '../routes.js';
import { AdminAttachmentsService } from './attachments.service.js';

@AdminController()
export class AdminAttachmentsController {
  constructor(private readonly attachments: AdminAttachmentsService) {}

  @AdminRoute(r.listAttachments)
  list(@Input() { params, query }: InputOf<R['listAttachments']>) {
    return this.attachments.list(params.roomId, query.limit, query.cursor);
  }

  @AdminRoute(r.roomStorage)
  usage(@Input() { params }: InputOf<R['roomStorage']>) {
    return this.attachments.usage(params.roomId);
  }

  @AdminRoute(r.deleteAttachment)
  remove(@Input() { params }: InputOf<R['deleteAttachment']>) {
    return this.attachments.remove(params.roomId, params.attachmentId);
  }
}
