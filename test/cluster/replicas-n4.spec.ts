import { SwitchboardClient } from '@switchboard/client/node';
import { startGateway } from '@switchboard/gateway/service';
import { startMedia } from '@switchboard/media/service';
import { startPresence } from '@switchboard/presence/service';
import { startRooms } from '@switchboard/rooms/service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestClusters, mediaTestEnv, retrying, Stack, testEnv, token, uid } from '../support/stack.js';

const GATEWAYS = 4;
const MEMBERS = 8;
const PER_MEMBER = 3;

/** Room event shards on the cluster: more than one, so stream leaders spread over the nodes. */
const STREAMS = 2;

/**
 * Issue 16: more than two replicas of everything at once — 4 gateways, 2 rooms, 2 presence,
 * 2 media — on the clustered stack (3-node NATS with R3 room event streams, Redis Cluster of
 * 3 + 3). The conformance flows hold with N > 2: joins across replicas, one chat order seen
 * identically by members on different gateways, presence and calls across replicas, and a
 * resume on another gateway than the one the session started on.
 */
describe('4 gateways + 2 rooms + 2 presence + 2 media replicas, on a NATS cluster and a Redis Cluster', () => {
  const stack = new Stack();
  const gateways: Awaited<ReturnType<typeof startGateway>>[] = [];

  beforeAll(async () => {
    const { natsUrl, redisUrl } = await startTestClusters(stack);
    // Every process must agree on the shard count; R3: each stream lives on all three nodes.
    const timers = { NATS_URL: natsUrl, REDIS_URL: redisUrl, ROOM_EVENTS_STREAMS: String(STREAMS), ROOM_EVENTS_REPLICAS: '3', DISCONNECT_GRACE_MS: '20000' };
    const rooms = [await stack.add(startRooms(testEnv(timers))), await stack.add(startRooms(testEnv(timers)))];
    await stack.add(startPresence(testEnv(timers)));
    await stack.add(startPresence(testEnv(timers)));
    const mediaEnv = mediaTestEnv({ ...timers, ROOMS_GRPC_URL: `127.0.0.1:${rooms[1].grpcPort}` });
    const medias = [await stack.add(startMedia(mediaEnv)), await stack.add(startMedia(mediaEnv))];
    // Each gateway's gRPC peers differ, so every pairing of replicas is exercised.
    for (let i = 0; i < GATEWAYS; i++) {
      gateways.push(await stack.add(startGateway(testEnv({ ...timers, ROOMS_GRPC_URL: `127.0.0.1:${rooms[i % 2].grpcPort}`, MEDIA_GRPC_URL: `127.0.0.1:${medias[i % 2].grpcPort}` }))));
    }
  }, 90_000);
  afterAll(() => stack.stop(), 60_000);

  const chatIds = (c: SwitchboardClient, roomId: string) => c.events.filter((e) => e.room === roomId && e.type === 'chat.message').map((e) => (e.data as { message: { id: string } }).message.id);
  const seqsOf = (c: SwitchboardClient, roomId: string) => c.events.filter((e) => e.room === roomId && e.seq).map((e) => e.seq!);

  it('joins across replicas, one chat order on every gateway, presence and calls across replicas, resume elsewhere', async () => {
    const userIds = Array.from({ length: MEMBERS }, (_, i) => uid(`m${i}`));
    const members = await Promise.all(userIds.map((id, i) => stack.client(gateways[i % GATEWAYS], id)));
    // Subscription interest crosses the cluster's routes a moment after the services start.
    const { room } = await retrying('rooms to answer across the cluster', () => members[0].request('room.create', { name: 'n4', kind: 'group', joinPolicy: 'open' }));
    const joins = await Promise.all(members.slice(1).map((m) => m.request('room.join', { roomId: room.id })));
    // Every join is one event in the room's one sequence, whichever replica took it.
    expect(new Set(joins.map((j) => j.seq)).size).toBe(joins.length);
    const last = members[MEMBERS - 1];
    await members[0].waitFor('room.participant_joined', (e) => e.data.participant.connectionId === last.hello.connectionId, 15_000);

    // Concurrent senders on all four gateways: everyone sees the same messages in the same order.
    const sent = (await Promise.all(members.map(async (m, i) => {
      const ids: string[] = [];
      for (let n = 0; n < PER_MEMBER; n++) ids.push((await m.request('chat.send', { roomId: room.id, text: `m${i}-${n}`, clientMsgId: uid('c') })).message.id);
      return ids;
    }))).flat();
    const finalId = sent[sent.length - 1];
    for (const m of members) for (const id of sent) await m.waitFor('chat.message', (e) => e.data.message.id === id, 15_000);
    expect(finalId).toBeDefined();
    const orders = members.map((m) => chatIds(m, room.id));
    for (const order of orders) {
      expect(order).toHaveLength(sent.length);
      expect(order).toEqual(orders[0]);
    }
    // ...and that order is the room's seq order.
    for (const m of members) {
      const seqs = m.events.filter((e) => e.room === room.id && e.type === 'chat.message').map((e) => e.seq!);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    }
    const history = await members[3].request('chat.history', { roomId: room.id, limit: 100 });
    // History holds every message. Its order (createdAt, set at insert) may differ from the live
    // seq order (set at publish) for sends racing on two rooms replicas: a known limit (README).
    expect([...history.messages.map((msg: { id: string }) => msg.id)].sort()).toEqual([...orders[0]].sort());

    // Presence across replicas: set through one gateway, read through another.
    await members[1].request('presence.set', { status: 'busy' });
    const presence = await members[2].request('presence.query', { userIds: [userIds[1]] });
    expect(JSON.stringify(presence)).toContain('busy');

    // A call across replicas: every other member, on all four gateways, is rung.
    const { callId } = await members[0].request('call.start', { roomId: room.id, media: 'audio', mode: 'p2p' });
    await Promise.all(members.slice(1).map((m) => m.waitFor('call.incoming', (e) => e.data.callId === callId, 15_000)));

    // Resume on another replica: member 5 (gateway 1) drops, misses chat, comes back on gateway 3.
    const leaver = members[5];
    const lastSeq = Math.max(...seqsOf(leaver, room.id));
    await leaver.terminate();
    const missed: string[] = [];
    for (let n = 0; n < 3; n++) missed.push((await members[n].request('chat.send', { roomId: room.id, text: `missed-${n}`, clientMsgId: uid('c') })).message.id);
    const again = await SwitchboardClient.connect(`ws://127.0.0.1:${gateways[3].httpPort}/ws`, await token(userIds[5]));
    stack.onStop(() => again.close());
    const resumed = await again.request('session.resume', { sessionId: leaver.hello.sessionId, rooms: { [room.id]: lastSeq } });
    expect(resumed.replayed).toBeGreaterThanOrEqual(missed.length);
    const replayed = chatIds(again, room.id);
    expect(replayed.slice(0, missed.length)).toEqual(missed);
    const seqs = seqsOf(again, room.id);
    expect(seqs).toEqual(seqs.map((_, i) => lastSeq + 1 + i)); // nothing lost, nothing twice
    // Live again on the new replica.
    const live = await members[7].request('chat.send', { roomId: room.id, text: 'after resume', clientMsgId: uid('c') });
    await again.waitFor('chat.message', (e) => e.data.message.id === live.message.id, 15_000);
  }, 90_000);
});
