import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, TurnBatcher, type BatchOutcome } from '@switchboard/platform';
import type { RoomsConfig } from '../config.js';
import { PrismaClient } from '../db/prisma.provider.js';
import { SqlPool } from '../db/sql.pool.js';
import type { Member, Room } from '../generated/prisma/client.js';

export type { Member, Room };

export type RoomPatch = Partial<Pick<Room, 'name' | 'description' | 'joinPolicy' | 'maxParticipants' | 'replayEphemeral'>> & { metadata?: Record<string, unknown> };

/** A row of `forJoin`: the room's columns under the model's names, the membership's (null when none), the ban. */
type JoinRow = Room & { memberRole: string | null; memberMuted: boolean | null; memberMutedBy: string | null; memberJoinedAt: Date | null; banned: boolean };

export type JoinRead = { room: Room; member: Member | null; banned: boolean };

/** A room row's columns under the model's field names (both join reads return it as `r`). */
const ROOM_COLUMNS = `rooms.id, name, description, kind, join_policy AS "joinPolicy", visibility, owner_id AS "ownerId",
                max_participants AS "maxParticipants", metadata, replay_ephemeral AS "replayEphemeral",
                created_at AS "createdAt", updated_at AS "updatedAt", closed_at AS "closedAt"`;

/** The join reads' common part: the open room (r), the membership (m, no row when none), the ban (b, one row). $1 room id, $2 user id. */
const JOIN_READ = `WITH r AS (SELECT ${ROOM_COLUMNS} FROM rooms WHERE id = $1 AND closed_at IS NULL),
     m AS (SELECT role AS "memberRole", muted AS "memberMuted", muted_by AS "memberMutedBy", joined_at AS "memberJoinedAt"
              FROM room_members WHERE room_id = $1 AND user_id = $2),
     b AS (SELECT EXISTS (SELECT 1 FROM room_bans WHERE room_id = $1 AND user_id = $2) AS banned)`;

/** The join's read and the membership it creates (ADR 0083): the row, and `inserted` when this statement created it. */
const JOIN_READ_ENSURE = `${JOIN_READ},
       ins AS (INSERT INTO room_members (room_id, user_id)
               SELECT r.id, $2 FROM r CROSS JOIN b
               WHERE r.visibility = 'public' AND r."joinPolicy" = 'open' AND NOT b.banned AND NOT EXISTS (SELECT 1 FROM m)
               ON CONFLICT DO NOTHING RETURNING 1)
       SELECT r.*, m.*, b.banned, EXISTS (SELECT 1 FROM ins) AS inserted FROM r CROSS JOIN b LEFT JOIN m ON true`;

/**
 * JOIN_READ_ENSURE for the joins of one event-loop turn in one statement (ADR 0088): $1 room ids,
 * $2 user ids, pair by pair; `i` (1-based) names the pair a row answers, a pair whose room is
 * not open has no row. The same conditions per pair as the single statement; the inserts go in
 * key order (two batches naming the same pairs lock them in the same order). One text for any
 * batch size, so it stays one prepared statement.
 */
const JOIN_READ_ENSURE_MANY = `WITH q AS (SELECT * FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS q(room_id, user_id, i)),
     r AS (SELECT q.i, ${ROOM_COLUMNS} FROM q JOIN rooms ON rooms.id = q.room_id AND rooms.closed_at IS NULL),
     m AS (SELECT q.i, role AS "memberRole", muted AS "memberMuted", muted_by AS "memberMutedBy", joined_at AS "memberJoinedAt"
              FROM q JOIN room_members rm ON rm.room_id = q.room_id AND rm.user_id = q.user_id),
     b AS (SELECT q.i, EXISTS (SELECT 1 FROM room_bans WHERE room_id = q.room_id AND user_id = q.user_id) AS banned FROM q),
     ins AS (INSERT INTO room_members (room_id, user_id)
               SELECT DISTINCT q.room_id, q.user_id FROM q JOIN r ON r.i = q.i JOIN b ON b.i = q.i
               WHERE r.visibility = 'public' AND r."joinPolicy" = 'open' AND NOT b.banned AND NOT EXISTS (SELECT 1 FROM m WHERE m.i = q.i)
               ORDER BY q.room_id, q.user_id
               ON CONFLICT DO NOTHING RETURNING room_id, user_id)
SELECT r.*, m."memberRole", m."memberMuted", m."memberMutedBy", m."memberJoinedAt", b.banned,
       EXISTS (SELECT 1 FROM ins WHERE ins.room_id = r.id AND ins.user_id = q.user_id) AS inserted
  FROM q JOIN r ON r.i = q.i JOIN b ON b.i = q.i LEFT JOIN m ON m.i = q.i`;

type JoinPair = { roomId: string; userId: string };
type JoinEnsured = (JoinRead & { inserted: boolean }) | null;

function fromJoinRow(roomId: string, userId: string, row: JoinRow): JoinRead {
  const { memberRole, memberMuted, memberMutedBy, memberJoinedAt, banned, ...room } = row;
  delete (room as Partial<JoinRow> & { inserted?: boolean }).inserted;
  delete (room as Partial<JoinRow> & { i?: string }).i;
  const member = memberRole === null ? null : { roomId, userId, role: memberRole, muted: memberMuted!, mutedBy: memberMutedBy, joinedAt: memberJoinedAt! };
  return { room, member, banned };
}

/** Keyset cursor over (createdAt desc, id desc): stable while rooms are created. */
export interface RoomCursor {
  createdAt: Date;
  id: string;
}

export interface NewRoom {
  id: string;
  name: string;
  description: string;
  kind: string;
  joinPolicy: string;
  visibility: string;
  ownerId: string;
  maxParticipants: number;
  metadata: Record<string, unknown>;
  replayEphemeral: boolean;
}

/** Durable rooms and memberships in Postgres. */
@Injectable()
export class RoomsStore {
  /** The joins of one event-loop turn share one statement and one transaction (ADR 0088). */
  private readonly joins: TurnBatcher<JoinPair, JoinEnsured>;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly sql: SqlPool,
    @Inject(CONFIG) config: Pick<RoomsConfig, 'JOIN_BATCH_MAX'>,
  ) {
    this.joins = new TurnBatcher({ max: config.JOIN_BATCH_MAX, send: (pairs) => this.joinMany(pairs) });
  }

  /** Creates the room and its owner membership in one transaction. */
  async create(room: NewRoom): Promise<Room> {
    const [created] = await this.prisma.$transaction([
      this.prisma.room.create({ data: { ...room, metadata: room.metadata as object } }),
      this.prisma.member.create({ data: { roomId: room.id, userId: room.ownerId, role: 'owner' } }),
    ]);
    return created;
  }

  /** Open rooms a user owns (the per-user room quota). */
  countOpenOwned(ownerId: string): Promise<number> {
    return this.prisma.room.count({ where: { ownerId, closedAt: null } });
  }

  find(id: string): Promise<Room | null> {
    return this.prisma.room.findUnique({ where: { id } });
  }

  findOpen(id: string): Promise<Room | null> {
    return this.prisma.room.findFirst({ where: { id, closedAt: null } });
  }

  member(roomId: string, userId: string): Promise<Member | null> {
    return this.prisma.member.findUnique({ where: { roomId_userId: { roomId, userId } } });
  }

  /**
   * What a join needs to decide, in one statement: the open room, the user's membership and ban.
   * Raw SQL on node-postgres because this is the join storm's hot path: Prisma's `include` runs
   * three queries (room, members, bans) and its query interpreter was the rooms service's
   * largest CPU item per join (ADR 0058). Columns are aliased to the model's field names.
   */
  async forJoin(roomId: string, userId: string): Promise<JoinRead | null> {
    const [row] = await this.sql.rows<JoinRow>('room_join_read', `${JOIN_READ} SELECT r.*, m.*, b.banned, false AS inserted FROM r CROSS JOIN b LEFT JOIN m ON true`, [roomId, userId]);
    return row ? fromJoinRow(roomId, userId, row) : null;
  }

  /**
   * `forJoin`, and in the same statement the membership a join of an open public room creates
   * (not banned, not a member yet): one Postgres round trip per join instead of two (ADR 0083).
   * `inserted` says this call created it; the caller undoes it (`undoJoinMember`) when the seat is
   * then refused, so a `room_full` still leaves no member (ADR 0068). The joins of one event-loop
   * turn share one statement (ADR 0088).
   */
  joinAndEnsureMember(roomId: string, userId: string): Promise<JoinEnsured> {
    return this.joins.add({ roomId, userId });
  }

  /** One statement for a turn's joins (JOIN_READ_ENSURE_MANY); alone, the single statement. */
  private async joinMany(pairs: JoinPair[]): Promise<BatchOutcome<JoinEnsured>[]> {
    if (pairs.length === 1) return [await this.joinOne(pairs[0]!)];
    let rows: (JoinRow & { inserted: boolean; i: string })[];
    try {
      rows = await this.sql.rows('room_join_read_ensure_many', JOIN_READ_ENSURE_MANY, [pairs.map((p) => p.roomId), pairs.map((p) => p.userId)]);
    } catch {
      // A batch fails as a whole (a deadlock with another replica's batch, a bad id): each join on its own, with its own outcome.
      return Promise.all(pairs.map((p) => this.joinOne(p)));
    }
    const byIndex = new Map(rows.map((row) => [Number(row.i) - 1, row]));
    // Two joins of one user to one room in a batch: only the first learns it created the membership (the one undo).
    const claimed = new Set<string>();
    return pairs.map((p, i) => {
      const row = byIndex.get(i);
      if (!row) return { ok: null };
      const key = `${p.roomId}\u0000${p.userId}`;
      const inserted = row.inserted && !claimed.has(key);
      if (inserted) claimed.add(key);
      return { ok: { ...fromJoinRow(p.roomId, p.userId, row), inserted } };
    });
  }

  /** One join alone (JOIN_READ_ENSURE): a turn with one join, or each of a failed batch's. */
  private async joinOne({ roomId, userId }: JoinPair): Promise<BatchOutcome<JoinEnsured>> {
    try {
      const [row] = await this.sql.rows<JoinRow & { inserted: boolean }>('room_join_read_ensure', JOIN_READ_ENSURE, [roomId, userId]);
      return { ok: row ? { ...fromJoinRow(roomId, userId, row), inserted: row.inserted } : null };
    } catch (err) {
      return { error: err as Error };
    }
  }

  /** Undoes the plain membership `joinAndEnsureMember` created (the seat was refused); a role given meanwhile stays. */
  async undoJoinMember(roomId: string, userId: string): Promise<void> {
    await this.sql.rows('room_member_undo', "DELETE FROM room_members WHERE room_id = $1 AND user_id = $2 AND role = 'member'", [roomId, userId]);
  }

  /** The membership with its room in one query (the check on every chat and moderation verb). */
  memberWithRoom(roomId: string, userId: string): Promise<(Member & { room: Room }) | null> {
    return this.prisma.member.findUnique({ where: { roomId_userId: { roomId, userId } }, include: { room: true } });
  }

  async removeMember(roomId: string, userId: string): Promise<void> {
    await this.prisma.member.deleteMany({ where: { roomId, userId } });
  }

  /** Owner and moderators: who hears about join requests. */
  staff(roomId: string): Promise<Member[]> {
    return this.prisma.member.findMany({ where: { roomId, role: { in: ['owner', 'moderator'] } } });
  }

  /**
   * A page of rooms, newest first. With `visibleTo`, public rooms plus those the user is a
   * member of (client `room.list`); without, every room (admin).
   */
  list(opts: { visibleTo?: string; includeClosed?: boolean; after?: RoomCursor; limit: number }): Promise<Room[]> {
    const and: object[] = [];
    if (!opts.includeClosed) and.push({ closedAt: null });
    if (opts.visibleTo) and.push({ OR: [{ visibility: 'public' }, { members: { some: { userId: opts.visibleTo } } }] });
    if (opts.after) and.push({ OR: [{ createdAt: { lt: opts.after.createdAt } }, { createdAt: opts.after.createdAt, id: { lt: opts.after.id } }] });
    return this.prisma.room.findMany({ where: { AND: and }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: opts.limit });
  }

  /** The rooms with these ids (any state), for the registry's coalesced notices. */
  byIds(ids: string[]): Promise<Room[]> {
    return this.prisma.room.findMany({ where: { id: { in: ids } } });
  }

  /** Open public rooms, newest first, narrowed by a registry filter. */
  publicRooms(filter: { kind?: string; joinPolicy?: string; nameContains?: string }, limit: number): Promise<Room[]> {
    return this.prisma.room.findMany({
      where: { closedAt: null, visibility: 'public', kind: filter.kind, joinPolicy: filter.joinPolicy, ...(filter.nameContains ? { name: { contains: filter.nameContains, mode: 'insensitive' as const } } : {}) },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: limit,
    });
  }

  update(id: string, patch: RoomPatch): Promise<Room> {
    return this.prisma.room.update({ where: { id }, data: { ...patch, metadata: patch.metadata as object | undefined } });
  }

  /** Marks the room closed; false when it already was (so only one closer announces it). */
  async close(id: string): Promise<boolean> {
    const { count } = await this.prisma.room.updateMany({ where: { id, closedAt: null }, data: { closedAt: new Date() } });
    return count === 1;
  }
}
