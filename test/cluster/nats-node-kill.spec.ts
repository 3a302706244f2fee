import { jetstreamManager } from '@nats-io/jetstream';
import { SwitchboardClient } from '@switchboard/client/node';
import { startGateway } from '@switchboard/gateway/service';
import { connectNats, createLogger, roomEventStreamOf } from '@switchboard/platform';
import { startRooms } from '@switchboard/rooms/service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { natsViolationsSince, startTestNatsCluster, type TestNatsCluster } from '../support/infra.js';
import { NATS_TEST_PASSWORD, NATS_TEST_USER, retrying, Stack, testEnv, token, uid, until } from '../support/stack.js';

const STREAMS = 3;
/**
 * Stated bound of the failover as clients see it: the services' NATS clients move to another
 * node (~1-2 s) and the room's stream elects a new leader; chat sends are acknowledged only once
 * their event is in the stream (ADR 0048), so they answer `unavailable` until that election is
 * done (measured 2-11 s on a loaded 2-core box).
 */
const FAILOVER_BOUND_MS = 20_000;
/** Each sender stays under the gateway's 50 messages/s per connection, failures included. */
const SEND_INTERVAL_MS = 25;

interface Acked {
  id: string;
  at: number;
}

/**
 * Issue 16: SIGKILL one node of a 3-node NATS cluster (the leader of the room's event stream)
 * while members chat, broadcast and signal across two rooms replicas and two gateways. Every
 * acknowledged chat message reaches every member live or by session.resume, none twice; the
 * clients keep working; the window of `unavailable` answers is measured and bounded.
 */
describe('SIGKILL of a NATS node under chat + broadcast + signaling load', () => {
  const stack = new Stack();
  let cluster: TestNatsCluster;
  let gateways: Awaited<ReturnType<typeof startGateway>>[];

  beforeAll(async () => {
    cluster = await startTestNatsCluster();
    stack.onStop(() => cluster.stop());
    const env = { NATS_URL: cluster.urls, ROOM_EVENTS_STREAMS: String(STREAMS), ROOM_EVENTS_REPLICAS: '3', REQUEST_TIMEOUT_MS: '2000', DISCONNECT_GRACE_MS: '60000' };
    await stack.add(startRooms(testEnv(env)));
    await stack.add(startRooms(testEnv(env)));
    gateways = [await stack.add(startGateway(testEnv(env))), await stack.add(startGateway(testEnv(env)))];
  }, 90_000);
  afterAll(() => stack.stop(), 60_000);

  it('loses no acknowledged message, duplicates none, and keeps serving after the failover', async () => {
    const owner = await stack.client(gateways[0], uid('owner'));
    // Subscription interest crosses the cluster's routes a moment after the services start.
    const { room } = await retrying('rooms to answer across the cluster', () => owner.request('room.create', { name: 'failover', kind: 'group', joinPolicy: 'open' }));
    const members: { userId: string; client: SwitchboardClient; joinSeq: number }[] = [];
    for (let i = 0; i < 4; i++) {
      const userId = uid(`m${i}`);
      const client = await stack.client(gateways[i % 2], userId);
      const joined = await retrying('a join across the cluster', () => client.request('room.join', { roomId: room.id }));
      members.push({ userId, client, joinSeq: joined.seq });
    }

    // The node leading this room's stream is the one to kill: its loss forces an election.
    const logger = createLogger({ service: 'test', level: 'silent', nodeId: 'test', production: false });
    const observer = await connectNats(cluster.urls, 'test', logger, { user: NATS_TEST_USER, password: NATS_TEST_PASSWORD });
    stack.onStop(() => observer.close());
    const jsm = await jetstreamManager(observer);
    const stream = roomEventStreamOf(room.id, STREAMS);
    const leader = await until(async () => (await jsm.streams.info(stream)).cluster?.leader, 'a stream leader');
    const victim = cluster.nodes.find((n) => n.name === leader)!;
    expect(victim).toBeDefined();

    const acked: Acked[] = [];
    const unavailable: number[] = [];
    const otherErrors: string[] = [];
    let stop = false;
    let killedAt = 0;
    const senders = members.map(async (m, i) => {
      let n = 0;
      while (!stop) {
        const verb = n % 3;
        const started = Date.now();
        try {
          if (verb === 0) {
            const r = await m.client.request('chat.send', { roomId: room.id, text: `m${i}-${n}`, clientMsgId: uid('c') });
            acked.push({ id: r.message.id, at: Date.now() });
          } else if (verb === 1) {
            await m.client.request('room.broadcast', { roomId: room.id, data: { n } });
          } else {
            await m.client.request('signal', { to: members[(i + 1) % members.length].client.hello.connectionId, roomId: room.id, kind: 'custom', payload: { n } });
          }
        } catch (err) {
          const code = (err as { code?: string }).code;
          // A signal's target is reached through its gateway's subscription: while that gateway
          // reconnects to another node, the target looks gone (not_found) — a failover error too.
          if (code === 'unavailable' || code === 'timeout' || (verb === 2 && code === 'not_found' && killedAt && Date.now() - killedAt < 10_000)) unavailable.push(Date.now());
          else otherErrors.push(`${code}: ${(err as Error).message}`);
        }
        n++;
        // Pacing, not waiting for a condition: a failure answers fast, and a real client does not
        // retry faster than the gateway's rate limit.
        const rest = SEND_INTERVAL_MS - (Date.now() - started);
        if (rest > 0) await new Promise((r) => setTimeout(r, rest));
      }
    });

    await until(() => acked.length >= 20, 'chat traffic before the kill', 20_000);
    killedAt = Date.now();
    victim.child.kill('SIGKILL');
    // The load runs until a chat message is acknowledged again after the kill (and on, while
    // the last requests finish): the stream has a leader and every path works again.
    await until(() => acked.some((a) => a.at > killedAt + 1000), 'a chat message acknowledged after the failover', FAILOVER_BOUND_MS, 100).finally(() => (stop = true));
    await Promise.all(senders);
    const window = unavailable.length ? { first: unavailable[0] - killedAt, last: unavailable[unavailable.length - 1] - killedAt, count: unavailable.length } : undefined;
    console.log(`[nats-node-kill] killed ${victim.name} (leader of ${stream}); acked ${acked.length} messages; unavailable window ${JSON.stringify(window ?? 'none')}`);
    expect(otherErrors).toEqual([]);
    // The failover is bounded: nothing fails later than the stated bound after the kill.
    if (window) expect(window.last).toBeLessThan(FAILOVER_BOUND_MS);
    expect(acked.filter((a) => a.at > killedAt).length).toBeGreaterThan(0);

    // Keeps working: a message after the failover reaches every member live.
    // Same clientMsgId on a retry: the same message (idempotent), so a lost reply cannot double it.
    const clientMsgId = uid('c');
    const after = await retrying('a chat message after the failover', () => owner.request('chat.send', { roomId: room.id, text: 'after the failover', clientMsgId }), 15_000);
    acked.push({ id: after.message.id, at: Date.now() });
    for (const m of members) await m.client.waitFor('chat.message', (e) => e.data.message.id === after.message.id, 10_000);

    // Every member: what it got live (no duplicate), then a resume on a fresh connection from
    // its join. Rooms publishes room events with stream acks (ADR 0048), so the stream holds every
    // acknowledged message, those sent during the leader election included: the resume answers
    // without `conflict` and replays all of them, once each.
    const ids = [...new Set(acked.map((a) => a.id))];
    // The JetStream API answers again (its meta leader may have been on the dead node): until
    // then a resume answers `unavailable` (room-history.store.ts).
    await until(() => jsm.streams.info(stream).then(() => true), 'the JetStream API answering after the failover', FAILOVER_BOUND_MS);
    for (const m of members) {
      const live = m.client.events.filter((e) => e.type === 'chat.message').map((e) => (e.data as { message: { id: string } }).message.id);
      expect(new Set(live).size).toBe(live.length); // no duplicate live delivery
      const missedLive = ids.filter((id) => !live.includes(id)).length;
      await m.client.terminate();
      // As the SDK does: a resume answered `unavailable` (the JetStream API still failing over)
      // is tried again on a fresh connection, to either gateway; the seat follows the session.
      let attempt = 0;
      const again = await until(async () => {
        const c = await SwitchboardClient.connect(`ws://127.0.0.1:${gateways[attempt++ % 2].httpPort}/ws`, await token(m.userId));
        stack.onStop(() => c.close());
        try {
          await c.request('session.resume', { sessionId: m.client.hello.sessionId, rooms: { [room.id]: m.joinSeq } });
          return c;
        } catch (err) {
          await c.terminate();
          if ((err as { code?: string }).code !== 'unavailable') throw err;
          return undefined;
        }
      }, `${m.userId} resumed`, FAILOVER_BOUND_MS, 200);
      const replayed = again.events.filter((e) => e.type === 'chat.message').map((e) => (e.data as { message: { id: string } }).message.id);
      expect(new Set(replayed).size).toBe(replayed.length);
      expect(ids.filter((id) => !replayed.includes(id))).toEqual([]);
      console.log(`[nats-node-kill] ${m.userId}: ${ids.length} acked messages all replayed from the stream (${missedLive} had not arrived live)`);
    }
    // The one violation a failover may log: a service answering, on its new server, a request it
    // took from the dead one. The new server never saw that request, so it refuses the reply
    // (allow_responses); the requester already got `unavailable`. Anything else is a bug.
    const violations = natsViolationsSince(cluster.logFile, 0).lines;
    const orphanReplies = violations.filter((l) => /Publish Violation - User "(rooms|presence|media|attestation)", Subject "_INBOX_gateway\./.test(l));
    if (orphanReplies.length) console.log(`[nats-node-kill] ${orphanReplies.length} reply(ies) to requests taken before the failover were refused by the new server`);
    expect(violations.filter((l) => !orphanReplies.includes(l))).toEqual([]);
  }, 120_000);
});
