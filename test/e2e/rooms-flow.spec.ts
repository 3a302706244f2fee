import { startGateway } from '@switchboard/gateway/service';
import { startRooms } from '@switchboard/rooms/service';
import type { SwitchboardClient } from '@switchboard/client/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Stack, testEnv, uid, until } from '@switchboard/testing/stack';

/** Rooms through real gateways: two gateway replicas, two rooms replicas. */
describe('rooms end to end across two gateways and two rooms replicas', () => {
  const stack = new Stack();
  let gwA: Awaited<ReturnType<typeof startGateway>>;
  let gwB: Awaited<ReturnType<typeof startGateway>>;
  // Same timers as the service specs (replicas of every spec file share one queue group).
  const env = { REQUEST_TIMEOUT_MS: '15000', FLOOR_TTL_MS: '1500', TYPING_TTL_MS: '300', DISCONNECT_GRACE_MS: '300', SWEEP_INTERVAL_MS: '50' };

  beforeAll(async () => {
    await stack.add(startRooms(testEnv(env)));
    await stack.add(startRooms(testEnv(env)));
    gwA = await stack.add(startGateway(testEnv(env)));
    gwB = await stack.add(startGateway(testEnv(env)));
  });
  afterAll(() => stack.stop());

  const seqsOf = (c: SwitchboardClient, roomId: string) => c.events.filter((e) => e.room === roomId && e.seq).map((e) => e.seq!);

  it('delivers every chat.message in gap-free seq order under concurrent senders on both gateways', async () => {
    const owner = await stack.client(gwA, uid('own'));
    const { room } = await owner.request('room.create', { name: 'busy', kind: 'group', joinPolicy: 'open' });
    const senders = [await stack.client(gwA), await stack.client(gwB), await stack.client(gwB)];
    for (const s of senders) await s.request('room.join', { roomId: room.id });
    const observer = await stack.client(gwB);
    const { seq: start } = await observer.request('room.join', { roomId: room.id });
    const perSender = 10;
    await Promise.all(senders.map((s, i) => Promise.all(Array.from({ length: perSender }, (_, n) => s.request('chat.send', { roomId: room.id, text: `${i}-${n}`, clientMsgId: `${i}-${n}` })))));
    const total = senders.length * perSender;
    await until(() => observer.events.filter((e) => e.type === 'chat.message' && e.room === room.id).length === total, 'all messages at the observer');
    const seqs = seqsOf(observer, room.id);
    expect(seqs).toEqual(seqs.map((_, i) => start + 1 + i));
    const history = await observer.request('chat.history', { roomId: room.id, limit: 100 });
    expect(history.messages).toHaveLength(total);
  });

  it('broadcast skips the sender; typing reaches others without a seq', async () => {
    const a = await stack.client(gwA);
    const b = await stack.client(gwB);
    const { room } = await a.request('room.create', { name: 'b', kind: 'group', joinPolicy: 'open' });
    await b.request('room.join', { roomId: room.id });
    await a.request('room.broadcast', { roomId: room.id, data: { hello: 1 } });
    const got = await b.waitFor('room.broadcast', (e) => e.room === room.id);
    expect(got.data).toEqual({ from: { userId: a.hello.userId, connectionId: a.hello.connectionId }, data: { hello: 1 } });
    await a.request('chat.typing', { roomId: room.id, typing: true });
    const typing = await b.waitFor('chat.typing', (e) => e.room === room.id);
    expect(typing.data).toEqual({ userId: a.hello.userId, typing: true });
    // the sender's own broadcast never arrived (a later event did, so it would have by now)
    await a.request('room.broadcast', { roomId: room.id, data: 2 });
    await b.request('room.broadcast', { roomId: room.id, data: 'mark' });
    await a.waitFor('room.broadcast', (e) => e.room === room.id);
    expect(a.events.filter((e) => e.type === 'room.broadcast' && e.room === room.id).map((e) => (e.data as { data: unknown }).data)).toEqual(['mark']);
  });

  it('kick and ban reach the target, who stops receiving room events; approvals flow to the requester', async () => {
    const owner = await stack.client(gwA);
    const { room } = await owner.request('room.create', { name: 'mod', kind: 'group', joinPolicy: 'approval' });
    const bob = await stack.client(gwB);
    const { requestId } = await bob.request('room.request_join', { roomId: room.id, message: 'hi' });
    expect((await owner.waitFor('room.join_requested')).data).toMatchObject({ requestId, user: { userId: bob.hello.userId }, message: 'hi' });
    await owner.request('room.approve', { roomId: room.id, requestId });
    expect((await bob.waitFor('room.join_approved')).data).toEqual({ roomId: room.id, requestId });
    await bob.request('room.join', { roomId: room.id });

    await owner.request('room.kick', { roomId: room.id, userId: bob.hello.userId });
    expect((await bob.waitFor('room.removed')).data).toMatchObject({ roomId: room.id, reason: 'kicked' });
    expect((await owner.waitFor('room.participant_left', (e) => e.room === room.id)).data).toMatchObject({ userId: bob.hello.userId, reason: 'kicked' });
    await owner.request('chat.send', { roomId: room.id, text: 'after kick', clientMsgId: 'k' });
    await owner.waitFor('chat.message', (e) => e.room === room.id);
    expect(bob.events.some((e) => e.type === 'chat.message')).toBe(false);
    await expect(bob.request('room.join', { roomId: room.id })).rejects.toMatchObject({ code: 'forbidden' });

    await owner.request('room.ban', { roomId: room.id, userId: bob.hello.userId });
    const again = await bob.request('room.request_join', { roomId: room.id }).catch((e) => e);
    expect(again).toMatchObject({ code: 'forbidden' });
  });

  it('floor contention through gateways: one speaker, the other gets floor_busy with the holder', async () => {
    const a = await stack.client(gwA);
    const b = await stack.client(gwB);
    const { room } = await a.request('room.create', { name: 'ptt', kind: 'group', joinPolicy: 'open' });
    await b.request('room.join', { roomId: room.id });
    const res = await Promise.allSettled([a.request('floor.request', { roomId: room.id }), b.request('floor.request', { roomId: room.id })]);
    const ok = res.filter((r) => r.status === 'fulfilled');
    const busy = res.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    expect(ok).toHaveLength(1);
    expect(busy).toHaveLength(1);
    expect(busy[0].reason).toMatchObject({ code: 'floor_busy' });
    const winner = res[0].status === 'fulfilled' ? a : b;
    const taken = (await b.waitFor('floor.taken', (e) => e.room === room.id)).data;
    expect(taken).toEqual({ userId: winner.hello.userId, connectionId: winner.hello.connectionId, talkId: expect.stringMatching(/^t_/), expiresAt: expect.any(Number) });
  });
});
