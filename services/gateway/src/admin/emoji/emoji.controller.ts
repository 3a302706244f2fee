import { AdminController } from '../http/admin-controller.js';
import { AdminRoute, Input, type InputOf } from '../http/route.js';
import { adminRoutes as r, type AdminRoutes as R } from '../routes.js';
import { AdminEmojiService } from './emoji.service.js';

@AdminController()
export class AdminEmojiController {
  constructor(private readonly emoji: AdminEmojiService) {}

  @AdminRoute(r.listEmoji)
  list(@Input() { params }: InputOf<R['listEmoji']>) {
    return this.emoji.list(params.roomId);
  }

  @AdminRoute(r.deleteEmoji)
  remove(@Input() { params }: InputOf<R['deleteEmoji']>) {
    return this.emoji.remove(params.roomId, params.name);
  }
}
