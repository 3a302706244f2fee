import { startGateway } from '@switchboard/gateway/service';
import { startPresence } from '@switchboard/presence/service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisTrap } from '@switchboard/testing/redis-trap';
import { Stack, testEnv, uid, until } from '@switchboard/testing/stack';
import { slot } from '@switchboard/testing/slot';

/**
 * Issue 10 item 13: timers are handled at least once. A rooms replica (an OS process, needs
 * `npx tsc -b`) claims a vanished connection's removal and is SIGKILLed before acting on it;
 * another replica still removes the ghost participant once the claim's lease runs out.
 */
describe('rooms replica killed mid-sweep', () => {
  const stack = new Stack();
  let gw: Awaited<ReturnType<typeof startGateway>>;
  const roomsEnv = (over: Record<string, string> = {}) =>
    // The registry flushes often, so its reads of the room's seats fall inside the trap's window.
    testEnv({ DISCONNECT_GRACE_MS: '200', SWEEP_INTERVAL_MS: '50', SWEEP_LEASE_MS: '1500', LOBBY_INTERVAL_MS: '100', NODE_ID: uid('node'), ...over });

  beforeAll(async () => {
    // Presence turns a closed socket into the `conn.gone` notice rooms schedules the removal from.
    await stack.add(startPresence(testEnv()));
    gw = await stack.add(startGateway(testEnv()));
  });
  afterAll(() => stack.stop());

  it('another replica removes the disconnected participant after the dead one’s lease', async () => {
    const trap = await RedisTrap.start(slot().redisUrl);
    stack.onStop(() => trap.close());
    const doomed = await stack.process('rooms', roomsEnv({ REDIS_URL: trap.url }));

    const owner = await stack.client(gw, uid('own'));
    const { room } = await owner.request('room.create', { name: 'sweep', kind: 'group', joinPolicy: 'open' });
    const ghost = await stack.client(gw, uid('ghost'));
    await ghost.request('room.join', { roomId: room.id });
    const ghostConn = ghost.hello.connectionId;

    // The doomed replica's Redis link freezes at the reply that hands it the removal (the claim
    // script's member, RedisTrap.arm).
    trap.arm(ghostConn);
    await ghost.terminate();
    await until(() => trap.frozen, 'the replica claimed the removal');
    await doomed.kill('SIGKILL');

    const survivor = await stack.process('rooms', roomsEnv());
    const left = await owner.waitFor('room.participant_left', (e) => e.data.connectionId === ghostConn, 15_000);
    expect(left.data).toMatchObject({ userId: ghost.hello.userId, reason: 'disconnected' });
    const got = await owner.request('room.get', { roomId: room.id });
    expect(got.participants.map((p: { connectionId: string }) => p.connectionId)).toEqual([owner.hello.connectionId]);
    expect(survivor.child.exitCode).toBeNull();
  });
});
