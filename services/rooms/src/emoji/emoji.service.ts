import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, RoomEventsPublisher, type Caller, type PresignedRequest } from '@switchboard/platform';
import { conflict, customEmojiName, EMOJI_CONTENT_TYPES, forbidden, notFound, type CommandData, type EmojiView } from '@switchboard/protocol';
import type * as proto from '@switchboard/proto';
import type { RoomsConfig } from '../config.js';
import { AttachmentsService } from '../attachments/attachments.service.js';
import { RoomsService } from '../rooms/rooms.service.js';
import { EmojiStore } from './emoji.store.js';
import { toEmojiView } from './emoji.view.js';

const STAFF = ['owner', 'moderator'] as const;
const EXTENSION: Record<(typeof EMOJI_CONTENT_TYPES)[number], string> = { 'image/png': 'png', 'image/gif': 'gif', 'image/webp': 'webp' };

/**
 * Custom emoji of a room (ADR 0051): moderators upload an image through the attachments flow
 * (reserve → presigned PUT → claim), members use `:name:` in reactions and text.
 */
@Injectable()
export class EmojiService {
  constructor(
    private readonly rooms: RoomsService,
    private readonly attachments: AttachmentsService,
    private readonly store: EmojiStore,
    private readonly events: RoomEventsPublisher,
    @Inject(CONFIG) private readonly config: RoomsConfig,
  ) {}

  private get limits() {
    return { maxBytes: this.config.EMOJI_MAX_BYTES, types: EMOJI_CONTENT_TYPES };
  }

  async upload(caller: Caller, data: CommandData<'emoji.upload'>): Promise<{ attachmentId: string; upload: PresignedRequest }> {
    await this.rooms.requireRole(data.roomId, caller.userId, [...STAFF]);
    // Refused before any byte is stored (emoji.create checks again under the room's lock).
    if ((await this.store.count(data.roomId)) >= this.config.EMOJI_MAX_PER_ROOM) throw this.full();
    if (await this.store.exists(data.roomId, data.name)) throw conflict(`:${data.name}: exists in this room`);
    return this.attachments.reserve(caller, { roomId: data.roomId, name: `${data.name}.${EXTENSION[data.contentType]}`, size: data.size, contentType: data.contentType }, this.limits);
  }

  async create(caller: Caller, data: CommandData<'emoji.create'>): Promise<{ emoji: EmojiView }> {
    await this.rooms.requireRole(data.roomId, caller.userId, [...STAFF]);
    await this.attachments.claimable(caller, data.roomId, data.attachmentId, this.limits);
    const row = await this.store.create({ roomId: data.roomId, name: data.name, attachmentId: data.attachmentId, createdBy: caller.userId }, this.config.EMOJI_MAX_PER_ROOM);
    if ('refused' in row) {
      if (row.refused === 'limit') throw this.full();
      if (row.refused === 'name_taken') throw conflict(`:${data.name}: exists in this room`);
      throw conflict(`attachment ${data.attachmentId} was sent, deleted or expired meanwhile`);
    }
    const emoji = toEmojiView(row);
    await this.events.toRoom(data.roomId, 'emoji.created', { emoji });
    return { emoji };
  }

  async delete(caller: Caller, data: CommandData<'emoji.delete'>): Promise<Record<string, never>> {
    await this.rooms.requireRole(data.roomId, caller.userId, [...STAFF]);
    await this.remove(data.roomId, data.name);
    return {};
  }

  /** Deletes `:name:` and its image (also the admin route); not_found when there is none. */
  async remove(roomId: string, name: string): Promise<void> {
    const attachmentId = await this.store.remove(roomId, name);
    if (!attachmentId) throw notFound(`no custom emoji :${name}: in this room`);
    await this.events.toRoom(roomId, 'emoji.deleted', { name });
    // The image goes now (the garbage collection removes it later if storage is down).
    await this.attachments.removeByIds([attachmentId]);
  }

  async list(roomId: string): Promise<EmojiView[]> {
    return (await this.store.list(roomId)).map(toEmojiView);
  }

  /** Admin: a room's emoji (not_found for an unknown or closed room). */
  async adminList(roomId: string): Promise<proto.rooms.ListEmojiResponse> {
    await this.rooms.openRoom(roomId);
    return { emoji: (await this.list(roomId)).map(({ createdAt, ...e }) => ({ ...e, createdAtMs: createdAt })) };
  }

  /** A reaction's emoji is fine unless it is `:name:` of no emoji of this room (`not_found`). */
  async requireKnown(roomId: string, emoji: string): Promise<void> {
    const name = customEmojiName(emoji);
    if (name !== undefined && !(await this.store.exists(roomId, name))) throw notFound(`no custom emoji ${emoji} in this room`);
  }

  private full() {
    return forbidden(`a room may have at most ${this.config.EMOJI_MAX_PER_ROOM} custom emoji`);
  }
}
