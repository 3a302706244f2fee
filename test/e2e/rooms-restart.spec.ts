import { startGateway } from '@switchboard/gateway/service';
import type { SwitchboardClient } from '@switchboard/client/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Stack, testEnv, uid, until, type ServiceProcess } from '../support/stack.js';

/**
 * Rooms replicas as OS processes (needs `npx tsc -b` first): SIGKILL them mid-traffic and
 * check nothing acknowledged is lost. Clients retry failed sends with the same clientMsgId,
 * as the protocol intends, so a send whose reply died with its replica is not duplicated.
 */
describe('rooms service restart mid-traffic', () => {
  const stack = new Stack();
  let gw: Awaited<ReturnType<typeof startGateway>>;
  let first: ServiceProcess;
  const roomsEnv = () => testEnv({ REQUEST_TIMEOUT_MS: '15000', FLOOR_TTL_MS: '1500', TYPING_TTL_MS: '300', DISCONNECT_GRACE_MS: '300', SWEEP_INTERVAL_MS: '50' });

  beforeAll(async () => {
    first = await stack.process('rooms', roomsEnv());
    gw = await stack.add(startGateway(testEnv({ REQUEST_TIMEOUT_MS: '2000' })));
  });
  afterAll(() => stack.stop());

  /** Sends until acknowledged, with the same clientMsgId every time. */
  async function sendUntilAcked(c: SwitchboardClient, roomId: string, clientMsgId: string): Promise<string> {
    for (let attempt = 0; attempt < 100; attempt++) {
      try {
        return (await c.request('chat.send', { roomId, text: clientMsgId, clientMsgId })).message.id;
      } catch (err) {
        if ((err as { code: string }).code !== 'unavailable') throw err;
        await new Promise((r) => setTimeout(r, 100)); // back off while no replica answers
      }
    }
    throw new Error(`never acknowledged: ${clientMsgId}`);
  }

  it('loses no acknowledged chat message and no membership when replicas are killed and restarted', async () => {
    const second: ServiceProcess = await stack.process('rooms', roomsEnv());
    const owner = await stack.client(gw, uid('own'));
    const { room } = await owner.request('room.create', { name: 'durable', kind: 'group', joinPolicy: 'approval' });
    const members = [await stack.client(gw), await stack.client(gw)];
    for (const m of members) {
      const { requestId } = await m.request('room.request_join', { roomId: room.id });
      await owner.request('room.approve', { roomId: room.id, requestId });
      await m.request('room.join', { roomId: room.id });
    }
    const senders = [owner, ...members];
    const acked = new Map<string, string>();
    const perSender = 30;
    // Senders hold their last third until both kills are done, so traffic surely spans them.
    let killsDone!: () => void;
    const afterKills = new Promise<void>((r) => (killsDone = r));
    const traffic = Promise.all(
      senders.map(async (s, i) => {
        for (let n = 0; n < perSender; n++) {
          if (n === 20) await afterKills;
          const clientMsgId = `${i}-${n}`;
          acked.set(await sendUntilAcked(s, room.id, clientMsgId), clientMsgId);
        }
      }),
    );
    // Kill each original replica in turn while messages flow, restarting one each time.
    await until(() => acked.size >= 15, 'some traffic before the first kill');
    await second.kill('SIGKILL');
    await stack.process('rooms', roomsEnv());
    await until(() => acked.size >= 45, 'traffic after the first restart');
    await first.kill('SIGKILL');
    killsDone();
    await stack.process('rooms', roomsEnv());
    await traffic;
    expect(acked.size).toBe(senders.length * perSender);
    // Only restarted replicas are left: everything acknowledged is stored, exactly once.
    const history = await owner.request('chat.history', { roomId: room.id, limit: 100 });
    expect(history.hasMore).toBe(false);
    expect(history.messages).toHaveLength(senders.length * perSender);
    expect(new Set(history.messages.map((m: { id: string }) => m.id))).toEqual(new Set(acked.keys()));
    const got = await owner.request('room.get', { roomId: room.id });
    expect(got.participants.map((p: { userId: string }) => p.userId).sort()).toEqual(senders.map((s) => s.hello.userId).sort());
    // membership (approval) survives: a member's new connection may join without asking again
    const again = await stack.client(gw, members[0].hello.userId);
    await expect(again.request('room.join', { roomId: room.id })).resolves.toMatchObject({ room: { id: room.id } });
  });
});
