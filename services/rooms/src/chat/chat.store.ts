import { Injectable } from '@nestjs/common';
import { isUniqueViolation, PrismaClient } from '../db/prisma.provider.js';
import { SqlPool } from '../db/sql.pool.js';
import type { Message, Reaction } from '../generated/prisma/client.js';

export type MessageRow = Message & { reactions: Reaction[] };

export interface NewMessage {
  id: string;
  roomId: string;
  userId: string;
  clientMsgId: string;
  text: string;
  replyTo?: string;
  /** The channel key ("" for the room's default channel). */
  channelId: string;
  attachments: unknown[];
  /** Uploaded attachments (ids) the message takes over: each must be the author's, in this room and not yet sent. */
  claim?: string[];
}

/** Reactions on a message already carry the most distinct emoji allowed. */
export type ReactResult = 'changed' | 'unchanged' | 'full';

/** A claimed attachment was sent already, deleted or expired meanwhile (the message is not stored). */
export class ClaimLost extends Error {}

const withReactions = { reactions: true } as const;

/**
 * What the hot inserts return (ADR 0079): the id (to match a batch's rows to their sends) and the
 * stored timestamp in epoch ms; every other column of a plain message is its input or its default
 * (`plainMessageView`), so nothing else is sent back, parsed or allocated per message.
 */
const INSERTED = `id, round(extract(epoch FROM created_at) * 1000)::float8 AS ms`;

/** One row of RETURNING ${INSERTED}. */
interface Inserted {
  id: string;
  ms: number;
}

/** Membership of the open room, checked in the statement that writes (ADR 0063). */
const IS_MEMBER = (room: string, user: string) => `EXISTS (SELECT 1 FROM room_members m JOIN rooms r ON r.id = m.room_id WHERE m.room_id = ${room} AND m.user_id = ${user} AND r.closed_at IS NULL)`;

/**
 * chat.send's common case in one round trip (ADR 0063): stored only if the sender is a member of
 * the open room, and nothing happens for a clientMsgId already stored (the unique index decides
 * races between replicas). Columns as Prisma's `Message`; the rest take their defaults (default
 * channel, no attachments, `text`). Exported for bench/chat-insert.mjs, which measures this very statement.
 */
export const INSERT_IF_MEMBER = `INSERT INTO messages (id, room_id, user_id, client_msg_id, text)
SELECT $1, $2, $3, $4, $5
WHERE ${IS_MEMBER('$2', '$3')}
ON CONFLICT (room_id, user_id, client_msg_id) DO NOTHING
RETURNING ${INSERTED}`;

/**
 * The same for several messages at once (group commit, ADR 0073): one array per column, one row
 * per message, each checked and deduplicated on its own; the rows stored come back (a non-member's
 * or a retry's does not). One statement text for any batch size, so it stays one prepared statement.
 */
export const INSERT_IF_MEMBER_BATCH = `INSERT INTO messages (id, room_id, user_id, client_msg_id, text)
SELECT v.id, v.room_id, v.user_id, v.cmid, v.text FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) AS v(id, room_id, user_id, cmid, text)
WHERE ${IS_MEMBER('v.room_id', 'v.user_id')}
ON CONFLICT (room_id, user_id, client_msg_id) DO NOTHING
RETURNING ${INSERTED}`;

/** Most messages one group-commit statement stores; more sends in one turn take several statements. */
export const INSERT_BATCH_MAX = 64;

/** A plain message: default channel, no reply, no attachments (chat.send's hot path). */
export type PlainMessage = Pick<NewMessage, 'id' | 'roomId' | 'userId' | 'clientMsgId' | 'text'>;

interface QueuedInsert {
  msg: PlainMessage;
  resolve(createdAt: number | null): void;
  reject(err: unknown): void;
}

/** History's order: (createdAt, id). Rows of one statement share createdAt, so their ids decide. */
const historyOrder = (a: Inserted, b: Inserted) => a.ms - b.ms || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** Messages, reactions, pins and read receipts in Postgres. */
@Injectable()
export class ChatStore {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly sql: SqlPool,
  ) {}

  /**
   * A plain text message in the room's default channel, stored if `userId` is a member of the
   * open room and the clientMsgId is new: resolves its stored time (epoch ms). Null otherwise (not a member, room closed or gone, or a
   * retry): the caller's general path tells which. node-postgres, not Prisma: this is the hot
   * statement (ADR 0063).
   *
   * Group commit (ADR 0073): the sends of one event-loop turn (a NATS read often carries several
   * commands) share one statement and one commit, flushed at the end of the turn (no timer, no
   * wait for more). Their promises settle in history order, so the seqs they take next follow it.
   */
  insertIfMember(msg: PlainMessage): Promise<number | null> {
    return new Promise((resolve, reject) => {
      if (this.queued.push({ msg, resolve, reject }) === 1) setImmediate(() => this.flushInserts());
    });
  }

  private queued: QueuedInsert[] = [];

  private flushInserts(): void {
    const queued = this.queued;
    this.queued = [];
    for (let i = 0; i < queued.length; i += INSERT_BATCH_MAX) void this.insertBatch(queued.slice(i, i + INSERT_BATCH_MAX));
  }

  private async insertBatch(batch: QueuedInsert[]): Promise<void> {
    if (batch.length === 1) return this.insertOne(batch[0]!);
    let rows: Inserted[];
    try {
      const cols = (f: (m: PlainMessage) => string) => batch.map((q) => f(q.msg));
      rows = await this.sql.rows<Inserted>('message.insertIfMemberBatch', INSERT_IF_MEMBER_BATCH, [
        cols((m) => m.id),
        cols((m) => m.roomId),
        cols((m) => m.userId),
        cols((m) => m.clientMsgId),
        cols((m) => m.text),
      ]);
    } catch {
      // One bad row fails the whole statement: each is tried alone, so only it fails (with its own error).
      for (const q of batch) void this.insertOne(q);
      return;
    }
    const byId = new Map(batch.map((q) => [q.msg.id, q]));
    for (const row of rows.sort(historyOrder)) {
      byId.get(row.id)?.resolve(row.ms);
      byId.delete(row.id);
    }
    for (const q of byId.values()) q.resolve(null);
  }

  private async insertOne({ msg, resolve, reject }: QueuedInsert): Promise<void> {
    try {
      const [row] = await this.sql.rows<Inserted>('message.insertIfMember', INSERT_IF_MEMBER, [msg.id, msg.roomId, msg.userId, msg.clientMsgId, msg.text]);
      resolve(row ? row.ms : null);
    } catch (err) {
      reject(err);
    }
  }

  /**
   * Inserts the message unless (room, user, clientMsgId) exists; either way returns the stored
   * one. The unique index decides races between replicas.
   */
  async createOnce(msg: NewMessage): Promise<{ message: MessageRow; created: boolean }> {
    // Insert first: a new message is the common case (one statement), a retry the rare one.
    const { claim = [], ...data } = msg;
    const key = { roomId: msg.roomId, userId: msg.userId, clientMsgId: msg.clientMsgId };
    try {
      const created = claim.length ? await this.createClaiming(data, claim) : await this.prisma.message.create({ data: { ...data, attachments: data.attachments as object[] } });
      return { message: { ...created, reactions: [] }, created: true };
    } catch (err) {
      if (claim.length) {
        // The race may have been lost to a retry of this very message, which claimed the uploads
        // (a unique violation inside the transaction, or the claim found them taken).
        const stored = await this.byClientMsgId(key.roomId, key.userId, key.clientMsgId);
        if (stored) return { message: stored, created: false };
        throw err;
      }
      if (!isUniqueViolation(err)) throw err;
      return { message: await this.prisma.message.findUniqueOrThrow({ where: { roomId_userId_clientMsgId: key }, include: withReactions }), created: false };
    }
  }

  /** Inserts the message and binds the uploads in one transaction; ClaimLost (nothing stored) when one is gone. */
  private createClaiming(data: Omit<NewMessage, 'claim'>, claim: string[]) {
    return this.prisma.$transaction(async (tx) => {
      const row = await tx.message.create({ data: { ...data, attachments: data.attachments as object[] } });
      const { count } = await tx.attachment.updateMany({
        where: { id: { in: claim }, roomId: data.roomId, userId: data.userId, messageId: null, deletedAt: null, emoji: { is: null } },
        data: { messageId: row.id },
      });
      if (count !== claim.length) throw new ClaimLost('an attachment was sent, deleted or expired meanwhile');
      return row;
    });
  }

  byClientMsgId(roomId: string, userId: string, clientMsgId: string): Promise<MessageRow | null> {
    return this.prisma.message.findUnique({ where: { roomId_userId_clientMsgId: { roomId, userId, clientMsgId } }, include: withReactions });
  }

  get(roomId: string, id: string): Promise<MessageRow | null> {
    return this.prisma.message.findFirst({ where: { id, roomId }, include: withReactions });
  }

  /**
   * A page of history next to `cursor` (exclusive) in (createdAt, id) order: `older` pages
   * backwards, otherwise forwards. Returns up to `take` rows, nearest to the cursor first.
   */
  page(roomId: string, channelId: string, opts: { cursor?: Message; older: boolean; take: number }): Promise<MessageRow[]> {
    const c = opts.cursor;
    const op = opts.older ? 'lt' : 'gt';
    const where = c ? { roomId, channelId, OR: [{ createdAt: { [op]: c.createdAt } }, { createdAt: c.createdAt, id: { [op]: c.id } }] } : { roomId, channelId };
    const dir = opts.older ? 'desc' : 'asc';
    return this.prisma.message.findMany({ where, orderBy: [{ createdAt: dir }, { id: dir }], take: opts.take, include: withReactions });
  }

  edit(id: string, text: string): Promise<MessageRow> {
    return this.prisma.message.update({ where: { id }, data: { text, editedAt: new Date() }, include: withReactions });
  }

  /** Soft delete; false when already deleted. */
  async softDelete(id: string): Promise<boolean> {
    const { count } = await this.prisma.message.updateMany({ where: { id, deletedAt: null }, data: { deletedAt: new Date(), text: '', attachments: [] } });
    return count === 1;
  }

  /**
   * Adds or removes one reaction. Adding a new distinct emoji to a message that has
   * `maxDistinct` already is refused (`full`); the per-message lock makes concurrent adds on
   * any replica count each other.
   */
  async react(messageId: string, userId: string, emoji: string, on: boolean, maxDistinct: number): Promise<ReactResult> {
    const changed = (n: number): ReactResult => (n === 1 ? 'changed' : 'unchanged');
    if (!on) return changed((await this.prisma.reaction.deleteMany({ where: { messageId, userId, emoji } })).count);
    return this.prisma.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`reactions:${messageId}`}))`;
      const present = await tx.reaction.findMany({ where: { messageId }, distinct: ['emoji'], select: { emoji: true } });
      if (present.length >= maxDistinct && !present.some((r) => r.emoji === emoji)) return 'full';
      return changed((await tx.reaction.createMany({ data: [{ messageId, userId, emoji }], skipDuplicates: true })).count);
    });
  }

  /** Pins or unpins; false when already in that state. */
  async pin(id: string, pinned: boolean, by: string): Promise<boolean> {
    const { count } = await this.prisma.message.updateMany({
      where: { id, pinnedAt: pinned ? null : { not: null } },
      data: pinned ? { pinnedAt: new Date(), pinnedBy: by } : { pinnedAt: null, pinnedBy: null },
    });
    return count === 1;
  }

  async markRead(roomId: string, channelId: string, userId: string, messageId: string): Promise<void> {
    await this.prisma.readReceipt.upsert({
      where: { roomId_channelId_userId: { roomId, channelId, userId } },
      create: { roomId, channelId, userId, messageId },
      update: { messageId, readAt: new Date() },
    });
  }

  /** A user's last read message in one channel of a room ("" is the default channel). */
  async lastRead(roomId: string, channelId: string, userId: string): Promise<string | undefined> {
    const row = await this.prisma.readReceipt.findUnique({ where: { roomId_channelId_userId: { roomId, channelId, userId } }, select: { messageId: true } });
    return row?.messageId;
  }
}
