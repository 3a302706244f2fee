import { startGateway } from '@switchboard/gateway/service';
import { createRedis } from '@switchboard/platform';
import { startRooms } from '@switchboard/rooms/service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRedisCluster } from '../support/infra.js';
import { retrying, Stack, testEnv, uid } from '../support/stack.js';
// @ts-expect-error plain ESM script without types
import { redisMasterOf } from '../../scripts/lib/cluster.mjs';

/** Stated bound: seats and floor are served again within this long after a master dies. */
const RECOVERY_BOUND_MS = 15_000;
const FLOOR_TTL_MS = 3000;

/**
 * Issue 16: SIGKILL the Redis Cluster master holding a room's slot while the room is in use.
 * The replica is promoted (cluster-node-timeout 2 s); seats and the floor survive (replicated)
 * or lapse normally: nobody keeps a ghost seat, the floor is never stuck, and the room keeps
 * working across two rooms replicas and two gateways.
 */
// Opt-in (SB_REDIS_FAILOVER_TEST=1, e.g. `SB_REDIS_FAILOVER_TEST=1 npx vitest run test/cluster`):
// on a loaded 2-core box the promotion sometimes takes longer than the bound, or room.get answers
// before the cluster's view of the slot moved; not yet reliable enough for every CI run (README).
describe.runIf(process.env.SB_REDIS_FAILOVER_TEST === '1')('SIGKILL of a Redis Cluster master', () => {
  const stack = new Stack();
  let redisCluster: Awaited<ReturnType<typeof startTestRedisCluster>>;
  let gateways: Awaited<ReturnType<typeof startGateway>>[];

  beforeAll(async () => {
    redisCluster = await startTestRedisCluster();
    stack.onStop(() => redisCluster.stop());
    const env = { REDIS_URL: redisCluster.url, FLOOR_TTL_MS: String(FLOOR_TTL_MS), SWEEP_INTERVAL_MS: '200', SWEEP_LEASE_MS: '2000', REQUEST_TIMEOUT_MS: '3000', DISCONNECT_GRACE_MS: '60000' };
    await stack.add(startRooms(testEnv(env)));
    await stack.add(startRooms(testEnv(env)));
    gateways = [await stack.add(startGateway(testEnv(env))), await stack.add(startGateway(testEnv(env)))];
  }, 90_000);
  afterAll(() => stack.stop(), 60_000);

  it('the replica takes over: seats and floor survive or lapse, no ghost seat, no stuck floor', async () => {
    const owner = await stack.client(gateways[0], uid('owner'));
    // Before the kill, too, a loaded machine may answer a first request late: retried, bounded.
    const { room } = await retrying('room.create', () => owner.request('room.create', { name: 'redis failover', kind: 'group', joinPolicy: 'open' }));
    const members = await Promise.all([0, 1, 2].map((i) => stack.client(gateways[i % 2], uid(`m${i}`))));
    for (const m of members) await retrying('room.join', () => m.request('room.join', { roomId: room.id }));
    await retrying('floor.request', () => members[0].request('floor.request', { roomId: room.id }));
    // Left just before the kill: must not come back as a ghost from a lagging replica.
    await retrying('room.leave', () => members[2].request('room.leave', { roomId: room.id }));

    const admin = createRedis(redisCluster.url);
    stack.onStop(() => admin.quit());
    const slot = Number(await admin.cluster('KEYSLOT', `sb:{room:${room.id}}:participants`));
    const ports = redisCluster.nodes.map((n) => n.port);
    const masterPort = redisMasterOf(ports, slot) as number;
    const victim = redisCluster.nodes.find((n) => n.port === masterPort)!;
    expect(victim).toBeDefined();
    const killedAt = Date.now();
    victim.child.kill('SIGKILL');

    // Served again within the bound: room.get answers from the promoted replica.
    const state = await retrying('room.get after the failover', () => owner.request('room.get', { roomId: room.id }), RECOVERY_BOUND_MS);
    const recoveredMs = Date.now() - killedAt;
    console.log(`[redis-master-kill] killed master :${masterPort} (slot ${slot}); room served again after ${recoveredMs} ms`);
    expect(redisMasterOf(ports.filter((p) => p !== masterPort), slot)).not.toBe(masterPort);
    const seated = new Set(state.participants.map((p: { connectionId: string }) => p.connectionId));
    // The seats survived (replicated before the kill), and the one who left stays gone.
    for (const m of members.slice(0, 2)) expect(seated.has(m.hello.connectionId)).toBe(true);
    expect(seated.has(members[2].hello.connectionId)).toBe(false);

    // The floor is not stuck: either its holder still has it and releases it, or it lapsed;
    // either way another member gets it within the lease plus the bound.
    await members[0].request('floor.release', { roomId: room.id }).catch(() => undefined);
    await retrying('the floor for another member', () => members[1].request('floor.request', { roomId: room.id }), FLOOR_TTL_MS + RECOVERY_BOUND_MS);

    // The room keeps working: a leave after the failover removes the seat for everyone.
    await members[1].request('room.leave', { roomId: room.id });
    const after = await owner.request('room.get', { roomId: room.id });
    expect(after.participants.map((p: { connectionId: string }) => p.connectionId)).not.toContain(members[1].hello.connectionId);
    await members[2].request('room.join', { roomId: room.id });
    await owner.waitFor('room.participant_joined', (e) => e.data.participant.connectionId === members[2].hello.connectionId);
  }, 90_000);
});
