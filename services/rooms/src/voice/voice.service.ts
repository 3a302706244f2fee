import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, Every, LOGGER, newId, ObjectStorage, RoomEventsPublisher } from '@switchboard/platform';
import { badRequest, tooLarge, unavailable } from '@switchboard/protocol';
import type * as proto from '@switchboard/proto';
import type { Logger } from 'pino';
import type { RoomsConfig } from '../config.js';
import { AttachmentsService } from '../attachments/attachments.service.js';
import { ChatService } from '../chat/chat.service.js';
import { toMessageView } from '../chat/chat.view.js';
import { RoomsService } from '../rooms/rooms.service.js';
import { VoiceStore } from './voice.store.js';

/** Voice messages removed per retention batch, and batches per run. */
const RETENTION_BATCH = 100;
const RETENTION_BATCHES_PER_RUN = 10;

/**
 * Recorded push-to-talk spurts as chat messages (ADR 0054): media hands over the Ogg/Opus file,
 * this stores it in object storage as an attachment of a `voice` message of the speaker, and
 * deletes voice messages older than VOICE_RETENTION_MS (message and object, like a chat.delete).
 */
@Injectable()
export class VoiceService {
  private lastRetention = 0;

  constructor(
    private readonly rooms: RoomsService,
    private readonly store: VoiceStore,
    private readonly chat: ChatService,
    private readonly attachments: AttachmentsService,
    private readonly storage: ObjectStorage,
    private readonly events: RoomEventsPublisher,
    @Inject(CONFIG) private readonly config: RoomsConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async post(req: proto.rooms.PostVoiceMessageRequest): Promise<proto.rooms.PostVoiceMessageResponse> {
    if (!this.storage.enabled) throw unavailable('object storage is not configured');
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(req.talkId) || !req.userId) throw badRequest('talk_id and user_id are required');
    if (req.ogg.length === 0) throw badRequest('the recording is empty');
    if (req.ogg.length > this.config.VOICE_MAX_BYTES) throw tooLarge(`a recording may be at most ${this.config.VOICE_MAX_BYTES} bytes`);
    await this.rooms.openRoom(req.roomId);
    const key = `rooms/${req.roomId}/voice/${req.talkId}.ogg`;
    // The object first: a message never points at a missing file. Retries rewrite the same key.
    await this.storage.put(key, req.ogg, 'audio/ogg');
    const durationMs = Number(req.durationMs);
    const voice = { attachmentId: newId('a'), talkId: req.talkId, durationMs, size: req.ogg.length, contentType: 'audio/ogg' as const };
    const { message, created } = await this.store.createOnce({
      id: newId('m'),
      roomId: req.roomId,
      userId: req.userId,
      text: `voice message (${(durationMs / 1000).toFixed(1)} s)`,
      createdAt: new Date(Number(req.startedAtMs) || Date.now()),
      voice,
      key,
    });
    if (created) await this.events.toRoom(req.roomId, 'chat.message', { message: toMessageView(message) });
    const stored = message.voice as { attachmentId: string; size: number } | null;
    return { messageId: message.id, attachmentId: stored?.attachmentId ?? voice.attachmentId, size: stored?.size ?? voice.size };
  }

  /** Deletes expired voice messages (announced as `chat.deleted`) and their recordings, at most every ATTACHMENT_GC_INTERVAL_MS per replica. */
  @Every('voice-retention')
  private async retain(): Promise<void> {
    if (!this.storage.enabled || this.config.VOICE_RETENTION_MS <= 0) return; // nothing stored, or kept forever
    if (Date.now() - this.lastRetention < this.config.ATTACHMENT_GC_INTERVAL_MS) return;
    this.lastRetention = Date.now();
    const before = new Date(Date.now() - this.config.VOICE_RETENTION_MS);
    for (let i = 0; i < RETENTION_BATCHES_PER_RUN; i++) {
      const rows = await this.store.expired(before, RETENTION_BATCH);
      for (const m of rows) {
        if (!(await this.chat.softDelete(m.id))) continue;
        await this.events.toRoom(m.roomId, 'chat.deleted', { messageId: m.id });
        await this.attachments.removeForMessage(m.id);
      }
      if (rows.length < RETENTION_BATCH) break;
    }
    this.logger.debug({ before }, 'voice retention ran');
  }
}
