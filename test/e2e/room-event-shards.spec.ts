import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { SwitchboardClient } from '@switchboard/client/node';
import { startGateway } from '@switchboard/gateway/service';
import { connectNats, createLogger, roomEventStreamOf, roomEventStreams } from '@switchboard/platform';
import { subjects } from '@switchboard/protocol';
import { startRooms } from '@switchboard/rooms/service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, natsServerFiles, natsViolationsSince, waitForPort } from '../support/infra.js';
import { NATS_TEST_PASSWORD, NATS_TEST_USER, Stack, testEnv, token, uid } from '../support/stack.js';

const SHARDS = 3;

/**
 * Issue 16: room events split over ROOM_EVENTS_STREAMS streams by a hash of the room id; a resume
 * reads each room's own shard. On a private NATS server, so the suite's shared SB_ROOM_EVENTS
 * (whose subjects these streams would overlap) is left alone.
 */
describe(`room events sharded over ${SHARDS} JetStream streams`, () => {
  const stack = new Stack();
  let natsUrl: string;
  let logFile: string;
  let gw1: Awaited<ReturnType<typeof startGateway>>;
  let gw2: Awaited<ReturnType<typeof startGateway>>;
  const dir = mkdtempSync(join(tmpdir(), 'sb-shards-'));

  beforeAll(async () => {
    const port = await freePort();
    const files = natsServerFiles(dir, port);
    logFile = files.logFile;
    const nats = spawn('nats-server', files.args, { stdio: 'ignore' });
    stack.onStop(async () => {
      nats.kill('SIGTERM');
      await new Promise((r) => (nats.exitCode !== null ? r(null) : nats.once('exit', r)));
      rmSync(dir, { recursive: true, force: true });
    });
    await waitForPort(port);
    natsUrl = `nats://127.0.0.1:${port}`;
    const env = { NATS_URL: natsUrl, ROOM_EVENTS_STREAMS: String(SHARDS) };
    await stack.add(startRooms(testEnv({ ...env, DISCONNECT_GRACE_MS: '20000' })));
    gw1 = await stack.add(startGateway(testEnv(env)));
    gw2 = await stack.add(startGateway(testEnv(env)));
  });
  afterAll(async () => {
    await stack.stop();
  });

  it('every room lands in the stream its id hashes to, and a resume replays each room from its own shard', async () => {
    const bobId = uid('bob');
    const alice = await stack.client(gw1, uid('alice'));
    const bob = await stack.client(gw2, bobId);
    // Enough rooms that several shards are used (ids are random; 12 rooms miss a shard with p < 0.1 %).
    const rooms = await Promise.all(Array.from({ length: 12 }, (_, i) => alice.request('room.create', { name: `shard ${i}`, kind: 'group', joinPolicy: 'open' })));
    const joinedSeq: Record<string, number> = {};
    for (const { room } of rooms) joinedSeq[room.id] = (await bob.request('room.join', { roomId: room.id })).seq;
    await bob.terminate();
    for (const { room } of rooms) await alice.request('chat.send', { roomId: room.id, text: `missed in ${room.id}`, clientMsgId: uid('m') });

    const logger = createLogger({ service: 'test', level: 'silent', nodeId: 'test', production: false });
    const nc = await connectNats(natsUrl, 'test', logger, { user: NATS_TEST_USER, password: NATS_TEST_PASSWORD });
    stack.onStop(() => nc.close());
    const jsm = await jetstreamManager(nc);
    const names = roomEventStreams(SHARDS).map((s) => s.name);
    const used = new Set<string>();
    for (const { room } of rooms) {
      const own = roomEventStreamOf(room.id, SHARDS);
      used.add(own);
      for (const name of names) {
        const info = await jsm.streams.info(name, { subjects_filter: subjects.room(room.id) });
        // The room's events are in its own shard and in no other.
        expect([name, (info.state.subjects?.[subjects.room(room.id)] ?? 0) > 0]).toEqual([name, name === own]);
      }
    }
    expect(used.size).toBeGreaterThan(1);

    const again = await SwitchboardClient.connect(`ws://127.0.0.1:${gw1.httpPort}/ws`, await token(bobId));
    stack.onStop(() => again.close());
    const ok = await again.request('session.resume', { sessionId: bob.hello.sessionId, rooms: joinedSeq });
    expect(ok.replayed).toBeGreaterThanOrEqual(rooms.length);
    for (const { room } of rooms) {
      const texts = again.events.filter((e) => e.room === room.id && e.type === 'chat.message').map((e) => (e.data as { message: { text: string } }).message.text);
      expect(texts).toEqual([`missed in ${room.id}`]);
    }
    expect(natsViolationsSince(logFile, 0).lines).toEqual([]);
  });
});
