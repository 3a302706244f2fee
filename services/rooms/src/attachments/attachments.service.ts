import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { CONFIG, LOGGER, newId, ObjectStorage, Sweeper, type Caller, type PresignedRequest } from '@switchboard/platform';
import { badRequest, conflict, forbidden, notFound, rateLimited, tooLarge, unavailable, type CommandData } from '@switchboard/protocol';
import type * as proto from '@switchboard/proto';
import type { Logger } from 'pino';
import type { RoomsConfig } from '../config.js';
import { RoomsService } from '../rooms/rooms.service.js';
import { AttachmentsMetrics } from './attachments.metrics.js';
import { AttachmentsStore, type AttachmentRow } from './attachments.store.js';

/** How an uploaded file appears in a message's `attachments` (no URL: URLs are short-lived, see chat.download). */
export interface StoredAttachmentView {
  attachmentId: string;
  name: string;
  contentType: string;
  size: number;
}

/** Objects removed per garbage-collection batch, and batches per run. */
const PURGE_BATCH = 100;
const PURGE_BATCHES_PER_RUN = 10;

const encodeCursor = (r: { createdAt: Date; id: string }) => Buffer.from(`${r.createdAt.getTime()}:${r.id}`).toString('base64url');

function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  const m = /^(\d{1,15}):([A-Za-z0-9_-]{1,64})$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!m) throw badRequest('invalid cursor');
  return { createdAt: new Date(Number(m[1])), id: m[2] };
}

/** Type patterns: exact `type/subtype` or `type/*`. */
export function typeAllowed(contentType: string, patterns: readonly string[]): boolean {
  const [type] = contentType.split('/');
  return patterns.some((p) => p === contentType || p === `${type}/*` || p === '*/*');
}

/**
 * Files in chat: reserves uploads (presigned PUT of an exact size), checks them when a message
 * references them, hands out short-lived download URLs to members, and deletes objects whose
 * message was deleted, whose room closed, or that were never sent (ADR 0035).
 */
@Injectable()
export class AttachmentsService implements OnModuleInit {
  private lastCollect = 0;

  constructor(
    private readonly rooms: RoomsService,
    private readonly store: AttachmentsStore,
    private readonly storage: ObjectStorage,
    private readonly metrics: AttachmentsMetrics,
    private readonly sweeper: Sweeper,
    @Inject(CONFIG) private readonly config: RoomsConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit() {
    if (this.storage.enabled) this.sweeper.register('attachments-gc', () => this.collect());
  }

  async upload(caller: Caller, data: CommandData<'chat.upload'>): Promise<{ attachmentId: string; upload: PresignedRequest }> {
    await this.rooms.requireMember(data.roomId, caller.userId);
    return this.reserve(caller, data, { maxBytes: this.config.ATTACHMENT_MAX_BYTES, types: this.config.ATTACHMENT_TYPES });
  }

  /**
   * Reserves an upload of `size` bytes within `limits` (size, type patterns), the user's quota
   * and pending cap, and presigns its PUT. The caller has checked the right to upload here.
   */
  async reserve(
    caller: Caller,
    data: { roomId: string; name: string; size: number; contentType: string },
    limits: { maxBytes: number; types: readonly string[] },
  ): Promise<{ attachmentId: string; upload: PresignedRequest }> {
    if (!this.storage.enabled) throw unavailable('object storage is not configured');
    if (data.size > limits.maxBytes) {
      this.metrics.uploads.inc({ outcome: 'too_large' });
      throw tooLarge(`files may be at most ${limits.maxBytes} bytes`);
    }
    if (!typeAllowed(data.contentType, limits.types)) {
      this.metrics.uploads.inc({ outcome: 'bad_type' });
      throw badRequest(`content type ${data.contentType} is not accepted (allowed: ${limits.types.join(', ')})`);
    }
    const id = newId('a');
    // The key carries no client text: names go in the row and the download's Content-Disposition.
    const row = { id, roomId: data.roomId, userId: caller.userId, key: `rooms/${data.roomId}/attachments/${id}`, name: data.name, size: data.size, contentType: data.contentType };
    const reserved = await this.store.reserve(row, { quotaBytes: this.config.ATTACHMENT_USER_QUOTA_BYTES, maxPending: this.config.ATTACHMENT_MAX_PENDING });
    if ('refused' in reserved) {
      if (reserved.refused === 'quota') {
        this.metrics.uploads.inc({ outcome: 'quota' });
        throw forbidden(`storage quota exceeded: ${reserved.usedBytes} of ${this.config.ATTACHMENT_USER_QUOTA_BYTES} bytes in use`);
      }
      this.metrics.uploads.inc({ outcome: 'pending_limit' });
      throw rateLimited(`${reserved.pending} uploads are waiting to be sent; send or let them expire first`, this.config.ATTACHMENT_UPLOAD_TTL_S * 1000);
    }
    const upload = await this.storage.presignPut(row.key, row.size, row.contentType, this.config.ATTACHMENT_UPLOAD_TTL_S);
    this.metrics.uploads.inc({ outcome: 'reserved' });
    return { attachmentId: id, upload };
  }

  /**
   * An upload another feature takes over instead of a message (a custom emoji): the caller's,
   * in this room, unsent, within `limits`, and stored with its declared size.
   */
  async claimable(caller: Caller, roomId: string, attachmentId: string, limits: { maxBytes: number; types: readonly string[] }): Promise<AttachmentRow> {
    const [row] = await this.store.live([attachmentId]);
    if (!row || row.roomId !== roomId || row.userId !== caller.userId) throw notFound(`attachment ${attachmentId}: no such upload of yours in this room`);
    if (row.messageId || row.emoji) throw conflict(`attachment ${attachmentId} is in use already`);
    if (row.size > limits.maxBytes) throw tooLarge(`this needs a file of at most ${limits.maxBytes} bytes`);
    if (!typeAllowed(row.contentType, limits.types)) throw badRequest(`content type ${row.contentType} is not accepted here (allowed: ${limits.types.join(', ')})`);
    await this.verifyUploaded(row);
    return row;
  }

  /**
   * The `attachments` of a chat.send as stored: uploaded files become StoredAttachmentView after
   * checking the object exists with its declared size; links pass through. `claim` lists the
   * uploads the message takes over (ChatStore.createOnce binds them in its transaction).
   */
  async resolveForSend(caller: Caller, roomId: string, refs: readonly unknown[]): Promise<{ attachments: unknown[]; claim: string[] }> {
    const ids = refs.flatMap((r) => (r && typeof r === 'object' && 'attachmentId' in r ? [String((r as { attachmentId: string }).attachmentId)] : []));
    if (!ids.length) return { attachments: [...refs], claim: [] };
    if (new Set(ids).size !== ids.length) throw badRequest('an attachment is referenced twice');
    const rows = new Map((await this.store.live(ids)).map((r) => [r.id, r]));
    for (const id of ids) {
      const row = rows.get(id);
      if (!row || row.roomId !== roomId || row.userId !== caller.userId) throw notFound(`attachment ${id}: no such upload of yours in this room`);
      if (row.messageId) throw conflict(`attachment ${id} belongs to another message`);
      if (row.emoji) throw conflict(`attachment ${id} is the image of the custom emoji :${row.emoji.name}:`);
    }
    for (const row of rows.values()) await this.verifyUploaded(row);
    const attachments = refs.map((r) => {
      if (!(r && typeof r === 'object' && 'attachmentId' in r)) return r;
      const row = rows.get((r as { attachmentId: string }).attachmentId)!;
      return { attachmentId: row.id, name: row.name, contentType: row.contentType, size: row.size } satisfies StoredAttachmentView;
    });
    return { attachments, claim: ids };
  }

  /** Counts a claimed upload as sent (after the message is stored). */
  sent(count: number): void {
    this.metrics.uploads.inc({ outcome: 'sent' }, count);
  }

  async download(caller: Caller, data: CommandData<'chat.download'>): Promise<{ download: PresignedRequest }> {
    await this.rooms.requireMember(data.roomId, caller.userId);
    const row = await this.store.get(data.attachmentId);
    // A pending upload is visible to its uploader only; everything else must belong to a live message or a custom emoji here.
    if (!row || row.roomId !== data.roomId || row.deletedAt || (!row.messageId && !row.emoji && row.userId !== caller.userId)) throw notFound('attachment not found');
    return { download: await this.storage.presignGet(row.key, this.config.ATTACHMENT_URL_TTL_S, row.name) };
  }

  /** Deletes the objects of a deleted message now (the garbage collection retries on failure). */
  async removeForMessage(messageId: string): Promise<void> {
    if (!(await this.store.markDeleted({ messageId }))) return;
    await this.purge({ messageId }).catch((err) => this.logger.warn({ err, messageId }, 'attachment objects not deleted yet; the garbage collection retries'));
  }

  /** Marks attachments for deletion by id (admin) and deletes their objects; returns how many there were. */
  async removeByIds(ids: string[]): Promise<number> {
    const n = await this.store.markDeleted({ ids });
    if (n) await this.purge({});
    return n;
  }

  /** Admin: a room's live attachments, newest first, with the room's storage usage. */
  async adminList(req: proto.rooms.ListAttachmentsRequest): Promise<proto.rooms.ListAttachmentsResponse> {
    await this.rooms.openRoom(req.roomId);
    const limit = Math.min(Math.max(req.limit || 50, 1), 200);
    const before = req.cursor ? decodeCursor(req.cursor) : undefined;
    const [rows, usage] = await Promise.all([this.store.listRoom(req.roomId, { take: limit + 1, before }), this.store.usage(req.roomId)]);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      attachments: page.map((r) => ({ id: r.id, roomId: r.roomId, userId: r.userId, name: r.name, contentType: r.contentType, size: r.size, messageId: r.messageId ?? '', createdAtMs: r.createdAt.getTime() })),
      nextCursor: rows.length > limit && last ? encodeCursor(last) : '',
      usage,
    };
  }

  /** Admin: deletes one attachment of a room (object and row); not_found when there is none. */
  async adminDelete(roomId: string, attachmentId: string): Promise<void> {
    const row = await this.store.get(attachmentId);
    if (!row || row.roomId !== roomId || row.deletedAt) throw notFound('attachment not found');
    await this.removeByIds([attachmentId]);
  }

  private async verifyUploaded(row: AttachmentRow): Promise<void> {
    const head = await this.storage.head(row.key);
    if (!head) {
      this.metrics.uploads.inc({ outcome: 'missing' });
      throw badRequest(`attachment ${row.id} was not uploaded (PUT it to the URL from chat.upload first)`);
    }
    if (head.size !== row.size) {
      // A store that does not check signed lengths took other bytes: they go, and so does the reservation.
      this.metrics.uploads.inc({ outcome: 'size_mismatch' });
      await this.store.markDeleted({ ids: [row.id] });
      await this.purge({});
      throw badRequest(`attachment ${row.id}: ${head.size} bytes uploaded, ${row.size} announced; upload it again`);
    }
  }

  /** Deletes marked objects (a batch) and then their rows; the row stays when its object could not be deleted. */
  private async purge(where: { messageId?: string; roomId?: string }): Promise<number> {
    const rows = await this.store.marked(PURGE_BATCH, where);
    if (!rows.length) return 0;
    await this.storage.delete(rows.map((r) => r.key));
    await this.store.remove(rows.map((r) => r.id));
    this.metrics.objectsDeleted.inc(rows.length);
    return rows.length;
  }

  /** Garbage collection, at most every ATTACHMENT_GC_INTERVAL_MS per replica. */
  private async collect(): Promise<void> {
    if (Date.now() - this.lastCollect < this.config.ATTACHMENT_GC_INTERVAL_MS) return;
    this.lastCollect = Date.now();
    await this.store.markOrphans(2 * this.config.ATTACHMENT_UPLOAD_TTL_S * 1000);
    for (let i = 0; i < PURGE_BATCHES_PER_RUN; i++) if ((await this.purge({})) < PURGE_BATCH) break;
    this.metrics.bytesStored.set(await this.store.totalBytes());
  }
}
