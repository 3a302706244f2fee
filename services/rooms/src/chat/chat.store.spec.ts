import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { slot } from '@switchboard/testing/slot';
import type { Logger } from '@switchboard/platform';
import { SqlPool } from '../db/sql.pool.js';
import type { PrismaClient } from '../db/prisma.provider.js';
import { ChatStore, INSERT_BATCH_MAX, type MessageRow } from './chat.store.js';
import { plainMessageView, toMessageView } from './chat.view.js';

const logger = { warn: () => undefined } as unknown as Logger;
const tag = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
let n = 0;
const uid = (p: string) => `${p}_${tag}_${n++}`;

/** Group commit of chat.send's plain inserts (ADR 0073), on real Postgres (this worker's rooms database). */
describe('ChatStore.insertIfMember: group commit within one event-loop turn', () => {
  const sql = new SqlPool({ DATABASE_URL: slot().roomsDatabaseUrl }, new Registry(), logger);
  // Only the SqlPool statements are under test; Prisma is not touched by insertIfMember.
  const store = new ChatStore({} as PrismaClient, sql);
  const roomId = uid('r');
  const members = [uid('u'), uid('u'), uid('u')];

  beforeAll(async () => {
    await sql.rows('test.room', `INSERT INTO rooms (id, name, kind, join_policy, owner_id, max_participants) VALUES ($1, 'batch', 'group', 'open', $2, 100)`, [roomId, members[0]]);
    for (const u of members) await sql.rows('test.member', 'INSERT INTO room_members (room_id, user_id) VALUES ($1, $2)', [roomId, u]);
  });
  afterAll(() => sql.onApplicationShutdown());

  const msg = (userId: string, text = 'hi', clientMsgId = uid('c')) => ({ id: uid('m'), roomId, userId, clientMsgId, text });
  /** Counts statements by operation while `fn` runs. */
  const statements = async <T>(fn: () => Promise<T>) => {
    const spy = vi.spyOn(sql, 'rows');
    try {
      const result = await fn();
      const ops = spy.mock.calls.map((c) => c[0]);
      return { result, ops };
    } finally {
      spy.mockRestore();
    }
  };

  it('stores the sends of one turn in one statement, each checked on its own: members stored, a non-member and a repeated clientMsgId not', async () => {
    const dup = uid('c');
    const outsider = uid('u');
    const sends = [msg(members[0]!), msg(members[1]!, 'a', dup), msg(members[1]!, 'b', dup), msg(outsider), msg(members[2]!)];
    const { result, ops } = await statements(() => Promise.all(sends.map((m) => store.insertIfMember(m))));
    expect(ops).toEqual(['message.insertIfMemberBatch']);
    expect(result[0]).toEqual(expect.any(Number));
    // The same (room, user, clientMsgId) twice in one statement: exactly one is stored.
    expect([result[1], result[2]].filter(Boolean)).toHaveLength(1);
    expect(result[3]).toBeNull();
    expect(result[4]).toEqual(expect.any(Number));
    // A later retry of a stored one is not stored again.
    expect(await store.insertIfMember({ ...sends[0]!, id: uid('m') })).toBeNull();
  });

  it("resolves the stored time, and the view built from it is the stored row's view (ADR 0079)", async () => {
    const stored = async (id: string) => {
      const [row] = await sql.rows<MessageRow>(
        'test.read',
        `SELECT id, room_id AS "roomId", user_id AS "userId", client_msg_id AS "clientMsgId", text, reply_to AS "replyTo", attachments, created_at AS "createdAt",
          edited_at AS "editedAt", deleted_at AS "deletedAt", pinned_at AS "pinnedAt", pinned_by AS "pinnedBy", kind, voice, channel_id AS "channelId" FROM messages WHERE id = $1`,
        [id],
      );
      return toMessageView({ ...row!, reactions: [] });
    };
    // Alone (single-row statement) and two in one turn (the batch statement).
    const sends = [msg(members[0]!, 'alone é'), msg(members[1]!, 'one'), msg(members[2]!, 'two')];
    const times = [await store.insertIfMember(sends[0]!), ...(await Promise.all(sends.slice(1).map((m) => store.insertIfMember(m))))];
    for (const [i, m] of sends.entries()) {
      const view = plainMessageView(m, times[i]!);
      expect(view).toEqual(await stored(m.id));
      // The same bytes on the wire too (key order included).
      expect(JSON.stringify(view)).toBe(JSON.stringify(await stored(m.id)));
    }
  });

  it('a send alone in its turn takes the single-row statement', async () => {
    const { result, ops } = await statements(() => store.insertIfMember(msg(members[0]!)));
    expect(ops).toEqual(['message.insertIfMember']);
    expect(result).not.toBeNull();
  });

  it(`stores at most ${INSERT_BATCH_MAX} messages per statement: one more takes a second statement`, async () => {
    const sends = Array.from({ length: INSERT_BATCH_MAX + 1 }, (_, i) => msg(members[i % 3]!));
    const { result, ops } = await statements(() => Promise.all(sends.map((m) => store.insertIfMember(m))));
    expect(ops.sort()).toEqual(['message.insertIfMember', 'message.insertIfMemberBatch']);
    expect(result.every((r) => typeof r === 'number')).toBe(true);
  });

  it('one bad row does not fail the others: the batch is retried row by row, and only that send fails, with the database error', async () => {
    // U+0000 cannot be stored in a Postgres text (the protocol refuses it before; the store must still isolate it).
    const sends = [msg(members[0]!), msg(members[1]!, 'bad\u0000row'), msg(members[2]!)];
    const { result, ops } = await statements(() => Promise.allSettled(sends.map((m) => store.insertIfMember(m))));
    expect(ops).toEqual(['message.insertIfMemberBatch', 'message.insertIfMember', 'message.insertIfMember', 'message.insertIfMember']);
    expect(result[0]).toMatchObject({ status: 'fulfilled', value: expect.any(Number) });
    expect(result[1]).toMatchObject({ status: 'rejected', reason: { code: '22021' } });
    expect(result[2]).toMatchObject({ status: 'fulfilled', value: expect.any(Number) });
  });

  it('settles the sends of a statement in history order (createdAt, id), so the seqs taken next follow it', async () => {
    const settled: string[] = [];
    const sends = Array.from({ length: 8 }, (_, i) => msg(members[i % 3]!));
    const times = await Promise.all(sends.map((m) => store.insertIfMember(m).then((t) => (settled.push(m.id), t!))));
    const history = sends
      .map((m, i) => ({ id: m.id, t: times[i]! }))
      .sort((a, b) => a.t - b.t || (a.id < b.id ? -1 : 1))
      .map((r) => r.id);
    expect(settled).toEqual(history);
  });
});
