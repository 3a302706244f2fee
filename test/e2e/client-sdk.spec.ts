import { connect, PushToTalk, type ConnectOptions, type Switchboard } from '@switchboard/client';
import { SwitchboardClient } from '@switchboard/client/node';
import { startGateway } from '@switchboard/gateway/service';
import { startPresence } from '@switchboard/presence/service';
import { startRooms } from '@switchboard/rooms/service';
import type { EventData, ServerEvent } from '@switchboard/protocol';
import type { LooseJson } from '@switchboard/testing/json';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionRegistry } from '../../services/gateway/src/connections/connection.registry.js';
import { ADMIN_KEY, Stack, testEnv, token, uid, until } from '@switchboard/testing/stack';

type Gateway = Awaited<ReturnType<typeof startGateway>>;

/** Issue 14: the SDK against a live stack (two gateways, rooms, presence). */
describe('@switchboard/client against a live stack', () => {
  const stack = new Stack();
  let gw1: Gateway;
  let gw2: Gateway;
  const wsUrl = (gw: Gateway) => `ws://127.0.0.1:${gw.httpPort}/ws`;

  beforeAll(async () => {
    const rooms = await stack.add(startRooms(testEnv({ DISCONNECT_GRACE_MS: '20000' })));
    const presence = await stack.add(startPresence(testEnv({ SESSION_POLICY: 'device' })));
    // gRPC addresses for the admin API (sessions, disconnect); everything else goes over NATS.
    const grpc = { ROOMS_GRPC_URL: `127.0.0.1:${rooms.grpcPort}`, PRESENCE_GRPC_URL: `127.0.0.1:${presence.grpcPort}` };
    gw1 = await stack.add(startGateway(testEnv(grpc)));
    gw2 = await stack.add(startGateway(testEnv({ ...grpc, LOBBY_MAX_WATCHERS: '2' })));
    // A cold rooms service on a loaded machine can miss the first commands' timeout: wait until it answers.
    const warm = await stack.client(gw1);
    await until(() => warm.request('room.list', {}).then(() => true), 'rooms answering', 60_000, 500);
  });
  afterAll(() => stack.stop());

  /** An SDK client; `gate` holds every reconnect until released, so a test can act during the gap. */
  async function sdk(userId: string, opts: Partial<ConnectOptions> & { device?: string } = {}) {
    const device = opts.device ?? uid('dev');
    const events: ServerEvent[] = [];
    const lifecycle: { name: string; data: LooseJson }[] = [];
    let release: () => void = () => undefined;
    let gate: Promise<void> = Promise.resolve();
    let connects = 0;
    const sb = await connect({
      url: wsUrl(gw1),
      getToken: () => token(userId, { device }),
      reconnect: { minDelayMs: 50, maxDelayMs: 500 },
      // Called once per connection attempt; returning nothing sends no attestation token.
      attestation: async () => {
        if (connects++ > 0) await gate;
        return '';
      },
      ...opts,
    });
    stack.onStop(async () => sb.close());
    sb.on('*', (_d, e) => events.push(e));
    for (const name of ['connected', 'disconnected', 'reconnecting', 'resumed', 'resync', 'replaced', 'disconnectedByAdmin', 'token', 'closed', 'resubscribed'] as const) sb.on(name, (data: LooseJson) => lifecycle.push({ name, data }));
    return {
      sb,
      events,
      lifecycle,
      hold: () => {
        gate = new Promise<void>((r) => (release = r));
      },
      release: () => release(),
      seqs: (roomId: string) => events.filter((e) => e.room === roomId && typeof e.seq === 'number').map((e) => e.seq!),
    };
  }

  /** Closes the SDK's connection from the server side, like a restarting replica. */
  const serverClose = (sb: Switchboard, code = 1012) => {
    for (const gw of [gw1, gw2]) gw.app.get(ConnectionRegistry).get(sb.connectionId)?.close(code, 'test', 'test');
  };

  const consecutive = (seqs: number[], from: number) => expect(seqs).toEqual(seqs.map((_, i) => from + 1 + i));

  it('reconnects after a server-side close and resumes: events of the gap in order, none twice', async () => {
    const alice = await stack.client(gw2, uid('alice'));
    const { room } = await alice.request('room.create', { name: 'sdk-resume', kind: 'group', joinPolicy: 'open' });
    const bob = await sdk(uid('bob'));
    const joined = await bob.sb.request('room.join', { roomId: room.id });
    expect(bob.sb.rooms.get(room.id)).toBe(joined.seq);
    const firstConnection = bob.sb.connectionId;

    bob.hold();
    serverClose(bob.sb);
    await until(() => bob.lifecycle.some((l) => l.name === 'reconnecting'), 'reconnect scheduled');
    // Published while bob is away.
    for (let i = 0; i < 5; i++) await alice.request('chat.send', { roomId: room.id, text: `gap ${i}`, clientMsgId: uid('m') });
    bob.release();

    await until(() => bob.lifecycle.some((l) => l.name === 'resumed'), 'resumed', 20_000);
    expect(bob.sb.connectionId).not.toBe(firstConnection);
    expect(bob.lifecycle.find((l) => l.name === 'resumed')!.data.replayed).toBeGreaterThanOrEqual(5);
    await alice.request('chat.send', { roomId: room.id, text: 'live', clientMsgId: uid('m') });
    await until(() => bob.events.some((e) => e.type === 'chat.message' && (e.data as EventData<'chat.message'>).message.text === 'live'), 'live message after resume');

    const texts = bob.events.filter((e) => e.type === 'chat.message').map((e) => (e.data as EventData<'chat.message'>).message.text);
    expect(texts).toEqual(['gap 0', 'gap 1', 'gap 2', 'gap 3', 'gap 4', 'live']);
    consecutive(bob.seqs(room.id), joined.seq);
    expect(bob.sb.rooms.get(room.id)).toBe(Math.max(...bob.seqs(room.id)));
  });

  it('rejoins and refetches history by itself when the resume is refused (resync)', async () => {
    const alice = await stack.client(gw2, uid('alice'));
    const { room } = await alice.request('room.create', { name: 'sdk-resync', kind: 'group', joinPolicy: 'open' });
    const bob = await sdk(uid('bob'));
    await bob.sb.request('room.join', { roomId: room.id });
    await alice.request('chat.send', { roomId: room.id, text: 'before', clientMsgId: uid('m') });
    await until(() => bob.events.some((e) => e.type === 'chat.message'), 'first message');

    bob.hold();
    serverClose(bob.sb);
    await until(() => bob.lifecycle.some((l) => l.name === 'reconnecting'), 'reconnect scheduled');
    // Kicked while away: the seat is gone, so resume answers conflict {rooms}.
    await alice.request('room.kick', { roomId: room.id, userId: bob.sb.userId });
    await alice.request('chat.send', { roomId: room.id, text: 'while away', clientMsgId: uid('m') });
    bob.release();

    const resync = await until(() => bob.lifecycle.find((l) => l.name === 'resync'), 'resync', 20_000);
    expect(resync.data.roomId).toBe(room.id);
    expect(resync.data.error).toBeUndefined();
    expect(resync.data.messages.map((m: { text: string }) => m.text)).toEqual(['before', 'while away']);
    expect(resync.data.snapshot.participants.some((p: { userId: string }) => p.userId === bob.sb.userId)).toBe(true);
    // Back in the room: live events flow again.
    await alice.request('chat.send', { roomId: room.id, text: 'after', clientMsgId: uid('m') });
    await until(() => bob.events.some((e) => e.type === 'chat.message' && (e.data as EventData<'chat.message'>).message.text === 'after'), 'live after resync');
  });

  it('keeps chat sends in the outbox across a reconnect and stores each once', async () => {
    const alice = await stack.client(gw2, uid('alice'));
    const { room } = await alice.request('room.create', { name: 'sdk-outbox', kind: 'group', joinPolicy: 'open' });
    const bob = await sdk(uid('bob'));
    await bob.sb.request('room.join', { roomId: room.id });

    // One send the socket drops under (answered or not, it must be stored exactly once) ...
    const inFlight = bob.sb.sendChat(room.id, 'in flight');
    bob.hold();
    serverClose(bob.sb);
    await until(() => !bob.sb.connected, 'disconnected');
    // ... and three while offline.
    const offline = ['one', 'two', 'three'].map((t) => bob.sb.sendChat(room.id, t));
    expect(bob.sb.outbox.length).toBeGreaterThanOrEqual(3);
    // A non-idempotent request waiting for the connection times out instead of hanging.
    await expect(bob.sb.request('room.get', { roomId: room.id }, { timeoutMs: 200 })).rejects.toMatchObject({ code: 'timeout' });
    bob.release();

    const sent = await Promise.all([inFlight, ...offline]);
    expect(sent.map((m) => m.text)).toEqual(['in flight', 'one', 'two', 'three']);
    expect(bob.sb.outbox).toEqual([]);
    const history = await alice.request('chat.history', { roomId: room.id, limit: 50 });
    const texts = history.messages.map((m: { text: string }) => m.text);
    expect(texts).toEqual(['in flight', 'one', 'two', 'three']);
  });

  it('bounds what waits for a connection (outbox_full)', async () => {
    const bob = await sdk(uid('bob'), { maxQueued: 2 });
    const { room } = await bob.sb.request('room.create', { name: 'sdk-full', kind: 'group', joinPolicy: 'open' });
    bob.hold();
    serverClose(bob.sb);
    await until(() => !bob.sb.connected, 'disconnected');
    const queued = [bob.sb.sendChat(room.id, 'a'), bob.sb.sendChat(room.id, 'b')];
    await expect(bob.sb.sendChat(room.id, 'c')).rejects.toMatchObject({ code: 'outbox_full' });
    bob.release();
    expect((await Promise.all(queued)).map((m) => m.text)).toEqual(['a', 'b']);
  });

  // These two wait (a random drain spread; a token's expiry) and share nothing but gw1: run
  // together, they wait once (issue 12, ADR 0103).
  it.concurrent('refreshes the token on the live connection before it expires', async () => {
    const userId = uid('dave');
    let minted = 0;
    const dave = await sdk(userId, {
      getToken: () => (minted++, token(userId, {}, 3)),
      refreshBeforeMs: 1500,
    });
    const first = dave.sb.connectionId;
    const firstExpiry = Date.now() + 3000;
    // The connection outlives its first 3-second token: refreshed in place, never dropped.
    await until(() => Date.now() > firstExpiry + 1000 && dave.lifecycle.filter((l) => l.name === 'token').length >= 2, 'two refreshes past the first expiry', 15_000);
    await expect(dave.sb.request('ping')).resolves.toHaveProperty('ts');
    expect(dave.sb.connectionId).toBe(first);
    expect(dave.lifecycle.some((l) => l.name === 'disconnected')).toBe(false);
    expect(minted).toBeGreaterThanOrEqual(3);
  });

  it.concurrent('moves to another replica on session.draining before the server closes', async () => {
    const gw3 = await startGateway(testEnv({ DRAIN_GRACE_MS: '15000' }));
    stack.onStop(() => gw3.stop());
    const alice = await stack.client(gw2, uid('alice'));
    const { room } = await alice.request('room.create', { name: 'sdk-drain', kind: 'group', joinPolicy: 'open' });
    const bob = await sdk(uid('bob'), { url: [wsUrl(gw3), wsUrl(gw1)] });
    const joined = await bob.sb.request('room.join', { roomId: room.id });
    expect(bob.sb.hello.server.node).toBe(gw3.platform.config.NODE_ID);

    const stopping = gw3.stop();
    await until(() => bob.events.some((e) => e.type === 'session.draining'), 'draining notice');
    await until(() => bob.sb.connected && bob.sb.hello.server.node === gw1.platform.config.NODE_ID, 'moved to gw1', 20_000);
    await stopping;
    // The old socket was closed by the client (1000), not by the draining server (1012).
    expect(bob.lifecycle.filter((l) => l.name === 'disconnected')).toEqual([]);
    await alice.request('chat.send', { roomId: room.id, text: 'after the move', clientMsgId: uid('m') });
    await until(() => bob.events.some((e) => e.type === 'chat.message'), 'message after the move');
    consecutive(bob.seqs(room.id), joined.seq);
  });

  it('stops on session.replaced and does not fight for the session', async () => {
    const userId = uid('carol');
    const carol = await sdk(userId, { device: 'phone' });
    const other = await SwitchboardClient.connect(wsUrl(gw2), await token(userId, { device: 'phone' }));
    stack.onStop(() => other.close());
    await until(() => carol.lifecycle.some((l) => l.name === 'closed'), 'closed', 20_000);
    expect(carol.lifecycle.find((l) => l.name === 'replaced')!.data.by).toBe(other.hello.connectionId);
    expect(carol.lifecycle.some((l) => l.name === 'reconnecting')).toBe(false);
    await expect(carol.sb.request('ping')).rejects.toMatchObject({ code: 'closed' });
    // The other device keeps its connection.
    await expect(other.request('ping')).resolves.toHaveProperty('ts');
  });

  it('stops after an admin disconnect (session.closed, close 4003) and does not come back', async () => {
    const userId = uid('erin');
    const erin = await sdk(userId);
    const sessions = async () => {
      const res = await fetch(`http://127.0.0.1:${gw1.httpPort}/admin/v1/users/${userId}/sessions`, { headers: { 'x-api-key': ADMIN_KEY } });
      return ((await res.json()) as { sessions: { connectionId: string }[] }).sessions.map((s) => s.connectionId);
    };
    await until(async () => (await sessions()).includes(erin.sb.connectionId), 'erin’s session listed');
    const res = await fetch(`http://127.0.0.1:${gw2.httpPort}/admin/v1/users/${userId}/disconnect`, {
      method: 'POST',
      headers: { 'x-api-key': ADMIN_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'maintenance' }),
    });
    expect(await res.json()).toEqual({ disconnected: 1 });
    await until(() => erin.lifecycle.some((l) => l.name === 'closed'), 'the SDK stopped', 20_000);
    expect(erin.lifecycle.filter((l) => l.name === 'disconnectedByAdmin').map((l) => l.data)).toEqual([{ reason: 'maintenance' }]);
    expect(erin.lifecycle.find((l) => l.name === 'closed')!.data).toMatchObject({ code: 4003 });
    expect(erin.events.map((e) => e.type)).toContain('session.closed');
    expect(erin.lifecycle.some((l) => l.name === 'reconnecting')).toBe(false);
    await expect(erin.sb.request('ping')).rejects.toMatchObject({ code: 'closed' });
    // Nothing of erin's is connected any more (a reconnect would show up as a new session).
    await until(async () => (await sessions()).length === 0, 'no session of erin');
  });

  it('stops on close 4003 even when session.closed did not arrive', async () => {
    const frank = await sdk(uid('frank'));
    serverClose(frank.sb, 4003);
    await until(() => frank.lifecycle.some((l) => l.name === 'closed'), 'the SDK stopped', 20_000);
    expect(frank.lifecycle.find((l) => l.name === 'disconnected')!.data).toMatchObject({ code: 4003, willReconnect: false });
    expect(frank.lifecycle.filter((l) => l.name === 'disconnectedByAdmin').map((l) => l.data)).toEqual([{ reason: '' }]);
    expect(frank.lifecycle.some((l) => l.name === 'reconnecting')).toBe(false);
  });

  it('session.refresh refuses another user and invalid tokens', async () => {
    const erin = await stack.client(gw1, uid('erin'));
    await expect(erin.request('session.refresh', { token: await token(uid('mallory')) })).rejects.toMatchObject({ code: 'forbidden' });
    await expect(erin.request('session.refresh', { token: 'not-a-jwt' })).rejects.toMatchObject({ code: 'unauthorized' });
    await expect(erin.request('session.refresh', { token: await token(erin.hello.userId) })).resolves.toHaveProperty('expiresAt');
  });

  it('speaks MessagePack', async () => {
    const frank = await sdk(uid('frank'), { encoding: 'msgpack' });
    const { room } = await frank.sb.request('room.create', { name: 'sdk-msgpack', kind: 'group', joinPolicy: 'open' });
    const message = await frank.sb.sendChat(room.id, 'packed');
    expect(message.text).toBe('packed');
    expect(frank.sb.hello.userId).toBe(frank.sb.userId);
  });

  it('rejects the first connect with a typed error when the token is refused', async () => {
    await expect(connect({ url: wsUrl(gw1), token: 'bad' })).rejects.toMatchObject({ code: 'http', details: { status: 401 } });
  });

  it('push-to-talk: press takes the floor, others see the holder and get floor_busy, release frees it', async () => {
    const alice = await sdk(uid('alice'));
    const bob = await sdk(uid('bob'));
    const { room } = await alice.sb.request('room.create', { name: 'sdk-ptt', kind: 'group', joinPolicy: 'open' });
    await bob.sb.request('room.join', { roomId: room.id });
    const talkA = new PushToTalk(alice.sb, room.id);
    const talkB = new PushToTalk(bob.sb, room.id);
    await talkA.press();
    await until(() => talkB.holder === alice.sb.userId, 'bob sees alice holding the floor');
    await expect(talkB.press()).rejects.toMatchObject({ code: 'floor_busy', details: { holder: alice.sb.userId } });
    await talkA.release();
    await until(() => talkB.holder === null, 'floor released');
    await talkB.press();
    expect(talkB.holder).toBe(bob.sb.userId);
    talkA.dispose();
    talkB.dispose();
  });

  it('re-watches presence after a reconnect: a change made in the gap and one after it both arrive', async () => {
    const carolId = uid('carol');
    const carol = await stack.client(gw2, carolId);
    const watcher = await sdk(uid('watcher'));
    const resubscribed: LooseJson[] = [];
    watcher.sb.on('presenceResubscribed', (i) => resubscribed.push(i));
    const changed = () => watcher.events.filter((e) => e.type === 'presence.changed').map((e) => e.data as EventData<'presence.changed'>);
    const { presence } = await watcher.sb.request('presence.subscribe', { userIds: [carolId] });
    expect(presence[carolId]!.status).toBe('online');

    watcher.hold();
    serverClose(watcher.sb);
    await until(() => watcher.lifecycle.some((l) => l.name === 'reconnecting'), 'reconnect scheduled');
    // Changed while the watcher is away: no presence.changed can reach it, the re-watch must.
    await carol.request('presence.set', { status: 'busy', text: 'gap' });
    watcher.release();

    await until(() => resubscribed.length > 0, 'presenceResubscribed', 20_000);
    expect(resubscribed[0].error).toBeUndefined();
    expect(resubscribed[0].presence[carolId].status).toBe('busy');
    await until(() => changed().some((c) => c.userId === carolId && c.status === 'busy' && c.text === 'gap'), 'the gap change');
    // The watch lives on the new connection: a live change arrives from the server.
    await carol.request('presence.set', { status: 'away' });
    await until(() => changed().some((c) => c.userId === carolId && c.status === 'away'), 'a change after the reconnect', 20_000);

    // Unwatched: a reconnect re-sends nothing, and no change arrives.
    await watcher.sb.request('presence.unsubscribe', { userIds: [carolId] });
    const connects = watcher.lifecycle.filter((l) => l.name === 'connected').length;
    serverClose(watcher.sb);
    await until(() => watcher.lifecycle.filter((l) => l.name === 'connected').length > connects && watcher.sb.connected, 'reconnected', 20_000);
    expect(resubscribed).toHaveLength(1);
  });

  describe('live room registry (rooms.subscribe)', () => {
    it('sends a snapshot, then coalesced rooms.changed at most once per second', async () => {
      const tag = uid('lobby');
      const alice = await stack.client(gw2, uid('alice'));
      const first = (await alice.request('room.create', { name: `${tag} first`, kind: 'group', joinPolicy: 'open' })).room;
      await alice.request('room.create', { name: `${tag} hidden`, kind: 'group', joinPolicy: 'open', visibility: 'private' });
      await alice.request('room.create', { name: 'unrelated', kind: 'group', joinPolicy: 'open' });

      const watcher = await sdk(uid('watcher'));
      const changes: { at: number; ts: number; data: EventData<'rooms.changed'> }[] = [];
      watcher.sb.on('rooms.changed', (data, frame) => changes.push({ at: Date.now(), ts: frame.ts, data }));
      const snap = await watcher.sb.request('rooms.subscribe', { filter: { nameContains: tag } });
      expect(snap.rooms.map((r) => r.id)).toEqual([first.id]);
      expect(snap.truncated).toBe(false);

      // A burst: a new room and ten joins, a private room's changes, and the first room closing.
      const second = (await alice.request('room.create', { name: `${tag} second`, kind: 'group', joinPolicy: 'open' })).room;
      const guests = await Promise.all(Array.from({ length: 10 }, () => stack.client(gw1)));
      for (const g of guests) await g.request('room.join', { roomId: second.id });
      await alice.request('room.close', { roomId: first.id });

      await until(() => changes.some((c) => c.data.updated.some((r) => r.id === second.id && r.participantCount === 11)), 'second room with 11 participants', 20_000);
      await until(() => changes.some((c) => c.data.closed.includes(first.id)), 'first room closed', 20_000);
      // Coalesced: far fewer events than the 12 changes, never two within one interval (server ts).
      expect(changes.length).toBeLessThan(12);
      for (let i = 1; i < changes.length; i++) expect(changes[i]!.ts - changes[i - 1]!.ts).toBeGreaterThanOrEqual(950);
      const seen = changes.flatMap((c) => c.data.updated.map((r) => r.name));
      expect(seen.every((n) => n.includes(tag) && !n.includes('hidden'))).toBe(true);
    });

    it('re-subscribes by itself after a reconnect: the snapshot covers the gap, changes flow again', async () => {
      const tag = uid('lobby');
      const alice = await stack.client(gw2, uid('alice'));
      const watcher = await sdk(uid('watcher'));
      const changed: EventData<'rooms.changed'>[] = [];
      watcher.sb.on('rooms.changed', (data) => changed.push(data));
      await watcher.sb.request('rooms.subscribe', { filter: { nameContains: tag } });

      watcher.hold();
      serverClose(watcher.sb);
      await until(() => watcher.lifecycle.some((l) => l.name === 'reconnecting'), 'reconnect scheduled');
      // Created while the watcher is away: no rooms.changed can carry it, the new snapshot must.
      const gap = (await alice.request('room.create', { name: `${tag} gap`, kind: 'group', joinPolicy: 'open' })).room;
      watcher.release();

      await until(() => watcher.lifecycle.some((l) => l.name === 'resubscribed'), 'resubscribed', 20_000);
      const re = watcher.lifecycle.find((l) => l.name === 'resubscribed')!.data;
      expect(re.error).toBeUndefined();
      expect(re.rooms.map((r: LooseJson) => r.id)).toEqual([gap.id]);
      // The filter was kept: a matching room arrives live, an unrelated one does not.
      const live = (await alice.request('room.create', { name: `${tag} live`, kind: 'group', joinPolicy: 'open' })).room;
      await alice.request('room.create', { name: uid('unrelated'), kind: 'group', joinPolicy: 'open' });
      await until(() => changed.some((c) => c.updated.some((r) => r.id === live.id)), 'live room after the reconnect', 20_000);
      expect(changed.flatMap((c) => c.updated.map((r) => r.name)).every((n) => n.includes(tag))).toBe(true);

      // After rooms.unsubscribe a reconnect sends no watch.
      await watcher.sb.request('rooms.unsubscribe', {});
      const before = watcher.lifecycle.filter((l) => l.name === 'resubscribed').length;
      const resumedBefore = watcher.lifecycle.filter((l) => l.name === 'connected').length;
      serverClose(watcher.sb);
      await until(() => watcher.lifecycle.filter((l) => l.name === 'connected').length > resumedBefore && watcher.sb.connected, 'reconnected', 20_000);
      expect(watcher.lifecycle.filter((l) => l.name === 'resubscribed').length).toBe(before);
    });

    it('stops on rooms.unsubscribe, and bounds watchers per replica', async () => {
      const tag = uid('lobby');
      const alice = await stack.client(gw1, uid('alice'));
      const a = await stack.client(gw2);
      const b = await stack.client(gw2);
      await a.request('rooms.subscribe', { filter: { nameContains: tag } });
      await b.request('rooms.subscribe', { filter: { nameContains: tag } });
      // One subscription per connection: subscribing again replaces the filter, it takes no new slot.
      await a.request('rooms.subscribe', { filter: { nameContains: tag, kind: 'group' } });
      const c = await stack.client(gw2);
      await expect(c.request('rooms.subscribe', {})).rejects.toMatchObject({ code: 'unavailable' });

      await a.request('rooms.unsubscribe', {});
      const { room } = await alice.request('room.create', { name: `${tag} late`, kind: 'group', joinPolicy: 'open' });
      // b still watches and hears of the room in the same flush that would have reached a.
      await b.waitFor('rooms.changed', (e) => e.data.updated.some((r) => r.id === room.id), 20_000);
      expect(a.events.some((e) => e.type === 'rooms.changed' && JSON.stringify(e.data).includes(room.id))).toBe(false);
      // The freed slot can be taken again.
      await expect(c.request('rooms.subscribe', {})).resolves.toHaveProperty('rooms');
    });
  });
});
