import { Module } from '@nestjs/common';
import { AttachmentsModule } from '../attachments/attachments.module.js';
import { ChatModule } from '../chat/chat.module.js';
import { DbModule } from '../db/db.module.js';
import { RoomsPlatformModule } from '../platform.module.js';
import { RoomsModule } from '../rooms/rooms.module.js';
import { VoiceService } from './voice.service.js';
import { VoiceStore } from './voice.store.js';

/** Voice messages (push-to-talk recordings from media, over gRPC) and their retention. */
@Module({ imports: [DbModule, RoomsPlatformModule, RoomsModule, AttachmentsModule, ChatModule], providers: [VoiceStore, VoiceService], exports: [VoiceService] })
export class VoiceModule {}
