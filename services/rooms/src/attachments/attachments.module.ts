import { Module } from '@nestjs/common';
import { DbModule } from '../db/db.module.js';
import { RoomsPlatformModule } from '../platform.module.js';
import { RoomsModule } from '../rooms/rooms.module.js';
import { AttachmentsHandler } from './attachments.handler.js';
import { AttachmentsMetrics } from './attachments.metrics.js';
import { AttachmentsService } from './attachments.service.js';
import { AttachmentsStore } from './attachments.store.js';

/** Attachments (`attachment.*`): presigned uploads, downloads and GC; chat, emoji and voice store files through AttachmentsService. */
@Module({ imports: [DbModule, RoomsPlatformModule, RoomsModule], providers: [AttachmentsStore, AttachmentsMetrics, AttachmentsService, AttachmentsHandler], exports: [AttachmentsService] })
export class AttachmentsModule {}
