import { Module } from '@nestjs/common';
import { DbModule } from '../db/db.module.js';
import { ModerationModule } from '../moderation/moderation.module.js';
import { RoomsPlatformModule } from '../platform.module.js';
import { RoomsModule } from '../rooms/rooms.module.js';
import { ApprovalsHandler } from './approvals.handler.js';
import { ApprovalsService } from './approvals.service.js';
import { ApprovalsStore } from './approvals.store.js';

/** Join requests for approval and private rooms (a banned user may not ask: ModerationService). */
@Module({ imports: [DbModule, RoomsPlatformModule, RoomsModule, ModerationModule], providers: [ApprovalsStore, ApprovalsService, ApprovalsHandler], exports: [ApprovalsService] })
export class ApprovalsModule {}
