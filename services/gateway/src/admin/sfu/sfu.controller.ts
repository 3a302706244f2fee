import { AdminController } from '../http/admin-controller.js';
import { AdminRoute, Input, type InputOf } from '../http/route.js';
import { adminRoutes as r, type AdminRoutes as R } from '../routes.js';
import { AdminSfuService } from './sfu.service.js';

@AdminController()
export class AdminSfuController {
  constructor(private readonly sfu: AdminSfuService) {}

  @AdminRoute(r.listSfuParticipants)
  list(@Input() { params }: InputOf<R['listSfuParticipants']>) {
    return this.sfu.list(params.roomId);
  }

  @AdminRoute(r.muteSfuParticipant)
  mute(@Input() { params, body }: InputOf<R['muteSfuParticipant']>) {
    return this.sfu.mute(params.roomId, params.identity, body.muted);
  }

  @AdminRoute(r.removeSfuParticipant)
  remove(@Input() { params }: InputOf<R['removeSfuParticipant']>) {
    return this.sfu.remove(params.roomId, params.identity);
  }
}
