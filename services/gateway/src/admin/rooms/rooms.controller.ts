import { AdminController } from '../http/admin-controller.js';
import { AdminRoute, Input, type InputOf } from '../http/route.js';
import { adminRoutes as r, type AdminRoutes as R } from '../routes.js';
import { AdminRoomsService } from './rooms.service.js';

@AdminController()
export class AdminRoomsController {
  constructor(private readonly rooms: AdminRoomsService) {}

  @AdminRoute(r.listRooms)
  list(@Input() { query }: InputOf<R['listRooms']>) {
    return this.rooms.list(query);
  }

  @AdminRoute(r.getRoom)
  get(@Input() { params }: InputOf<R['getRoom']>) {
    return this.rooms.get(params.roomId);
  }

  @AdminRoute(r.closeRoom)
  close(@Input() { params, actor }: InputOf<R['closeRoom']>) {
    return this.rooms.close(params.roomId, actor);
  }

  @AdminRoute(r.listParticipants)
  participants(@Input() { params }: InputOf<R['listParticipants']>) {
    return this.rooms.participants(params.roomId);
  }

  @AdminRoute(r.kickUser)
  kick(@Input() { params, body, actor }: InputOf<R['kickUser']>) {
    return this.rooms.remove(params.roomId, body.userId, { ban: false, reason: body.reason, actor });
  }

  @AdminRoute(r.banUser)
  ban(@Input() { params, body, actor }: InputOf<R['banUser']>) {
    return this.rooms.remove(params.roomId, body.userId, { ban: true, reason: body.reason, actor });
  }
}
