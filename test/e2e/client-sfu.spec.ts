import { connect, SfuCall, type LiveKitRoomLike, type Switchboard } from '@switchboard/client';
import { startGateway } from '@switchboard/gateway/service';
import { startMedia } from '@switchboard/media/service';
import { startRooms } from '@switchboard/rooms/service';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeLivekit } from '@switchboard/testing/livekit-fake';
import { mediaTestEnv, Stack, testEnv, token, uid, until } from '@switchboard/testing/stack';
import type { LooseJson } from '@switchboard/testing/json';

const API_KEY = 'client-sfu-key';
const API_SECRET = 'client-sfu-secret-client-sfu-secret';

/**
 * What a livekit-client Room does with a grant, against the contract-faithful LiveKit fake:
 * connect = LiveKit's signal endpoint checking the token, publish = a track in the room, disconnect
 * = leaving. (livekit-client itself runs in the browser test: test/e2e/browser.spec.ts.)
 */
class RoomOnFake implements LiveKitRoomLike {
  identity = '';
  roomName = '';
  disconnects = 0;
  readonly published: string[] = [];
  private readonly listeners = new Set<(reason?: number) => void>();
  constructor(
    private readonly lk: FakeLivekit,
    private readonly refuse = false,
  ) {}
  async connect(url: string, grant: string): Promise<void> {
    if (url !== this.lk.url) throw new Error(`unexpected LiveKit URL ${url}`);
    if (this.refuse) throw new Error('could not establish signal connection');
    this.identity = (await this.lk.join(grant)).identity;
    this.roomName = (decodeJwt(grant) as { video: { room: string } }).video.room;
  }
  async disconnect(): Promise<void> {
    this.disconnects++;
    if (this.identity && this.lk.participant(this.roomName, this.identity)) await this.lk.leave(this.roomName, this.identity);
  }
  on(_event: 'disconnected', listener: (reason?: number) => void): void {
    this.listeners.add(listener);
  }
  off(_event: 'disconnected', listener: (reason?: number) => void): void {
    this.listeners.delete(listener);
  }
  /** LiveKit removed the participant: livekit-client then emits RoomEvent.Disconnected (4 = PARTICIPANT_REMOVED). */
  async removedByServer(): Promise<void> {
    await this.lk.leave(this.roomName, this.identity);
    for (const l of [...this.listeners]) l(4);
  }
  localParticipant = {
    setCameraEnabled: async (on: boolean) => on && this.published.push((await this.lk.publish(this.roomName, this.identity, 'video')).name),
    setMicrophoneEnabled: async (on: boolean) => on && this.published.push((await this.lk.publish(this.roomName, this.identity, 'audio')).name),
  };
}

/** Issue 14: the SDK's SfuCall through `media.token` and `call.*` (SFU mode) against a live stack. */
describe('@switchboard/client SfuCall against a live stack', () => {
  const stack = new Stack();
  let lk: FakeLivekit;
  let wsUrl = '';

  beforeAll(async () => {
    lk = await FakeLivekit.start({ apiKey: API_KEY, apiSecret: API_SECRET });
    const rooms = await stack.add(startRooms(testEnv()));
    const media = await stack.add(startMedia(mediaTestEnv({ ROOMS_GRPC_URL: `127.0.0.1:${rooms.grpcPort}`, LIVEKIT_URL: lk.url, LIVEKIT_API_KEY: API_KEY, LIVEKIT_API_SECRET: API_SECRET })));
    lk.setWebhookUrl(`http://127.0.0.1:${media.httpPort}/livekit/webhook`);
    const gw = await stack.add(startGateway(testEnv({ ROOMS_GRPC_URL: `127.0.0.1:${rooms.grpcPort}` })));
    wsUrl = `ws://127.0.0.1:${gw.httpPort}/ws`;
    // Cold services on a loaded machine can miss the first commands' timeout: wait until rooms and media answer.
    const warm = await stack.client(gw);
    await until(() => warm.request('room.list', {}).then(() => true), 'rooms answering', 60_000, 500);
    await until(() => warm.request('ice.servers', {}).then(() => true), 'media answering', 60_000, 500);
  });
  afterAll(async () => {
    await stack.stop();
    await lk.stop();
  });

  async function user(name: string): Promise<{ sb: Switchboard; userId: string; events: { type: string; data: LooseJson }[] }> {
    const userId = uid(name);
    const sb = await connect({ url: wsUrl, getToken: () => token(userId) });
    stack.onStop(async () => sb.close());
    const events: { type: string; data: LooseJson }[] = [];
    sb.on('*', (data, e) => events.push({ type: e.type, data }));
    return { sb, userId, events };
  }

  async function sfuRoom() {
    const alice = await user('alice');
    const bob = await user('bob');
    const { room } = await alice.sb.request('room.create', { name: 'sfu call', kind: 'sfu', joinPolicy: 'open' });
    await bob.sb.request('room.join', { roomId: room.id });
    return { alice, bob, roomId: room.id };
  }

  it('start and accept: both legs join LiveKit with their own grants and publish; the caller hanging up ends the callee’s call', async () => {
    const { alice, bob, roomId } = await sfuRoom();
    const aliceRoom = new RoomOnFake(lk);
    const call = await SfuCall.start(alice.sb, roomId, aliceRoom, { media: 'video', publish: { camera: true, microphone: true } });
    expect(call.callId).toEqual(expect.any(String));
    expect(aliceRoom.identity).toBe(`${alice.userId}:${alice.sb.connectionId}`);
    expect(aliceRoom.roomName).toBe(roomId);
    expect(aliceRoom.published).toEqual(['video', 'audio']);

    const incoming = await until(() => bob.events.find((e) => e.type === 'call.incoming' && e.data.callId === call.callId), 'call.incoming for bob');
    expect(incoming.data).toMatchObject({ mode: 'sfu', media: 'video' });
    const bobRoom = new RoomOnFake(lk);
    const answered = await SfuCall.accept(bob.sb, roomId, call.callId!, bobRoom, { publish: { camera: true } });
    expect(bobRoom.identity).toBe(`${bob.userId}:${bob.sb.connectionId}`);
    expect(lk.participant(roomId, aliceRoom.identity)).toBeDefined();
    expect(lk.participant(roomId, bobRoom.identity)?.tracks.map((t) => t.name)).toEqual(['video']);
    // Media saw both join (webhooks) and told the room.
    await until(() => alice.events.some((e) => e.type === 'media.participant_joined' && e.data.identity === bobRoom.identity), 'media.participant_joined for bob');

    const bobEnded = new Promise((r) => answered.on('ended', r));
    const aliceEnded = new Promise((r) => call.on('ended', r));
    await call.leave();
    expect(await aliceEnded).toEqual({ reason: 'left' });
    expect(await bobEnded).toEqual({ reason: 'call_ended', callReason: 'ended' });
    expect([aliceRoom.disconnects, bobRoom.disconnects]).toEqual([1, 1]);
    expect(lk.participant(roomId, aliceRoom.identity)).toBeUndefined();
    expect(lk.participant(roomId, bobRoom.identity)).toBeUndefined();
    // leave() twice is one leave.
    await call.leave();
    expect(aliceRoom.disconnects).toBe(1);
  });

  it('join (media.token) leaves LiveKit by itself when the user is kicked from the room', async () => {
    const { alice, bob, roomId } = await sfuRoom();
    const bobRoom = new RoomOnFake(lk);
    const call = await SfuCall.join(bob.sb, roomId, bobRoom);
    expect(call.callId).toBeUndefined();
    expect(bobRoom.identity).toBe(`${bob.userId}:${bob.sb.connectionId}`);
    const ended = new Promise((r) => call.on('ended', r));
    await alice.sb.request('room.kick', { roomId, userId: bob.userId });
    expect(await ended).toEqual({ reason: 'removed' });
    expect(bobRoom.disconnects).toBe(1);
  });

  it('a drop on LiveKit\'s side ends the call (and stops following its events)', async () => {
    const { bob, roomId } = await sfuRoom();
    const bobRoom = new RoomOnFake(lk);
    const call = await SfuCall.join(bob.sb, roomId, bobRoom);
    const ended: unknown[] = [];
    call.on('ended', (e) => ended.push(e));
    await bobRoom.removedByServer();
    await until(() => ended.length === 1, 'ended');
    expect(ended).toEqual([{ reason: 'disconnected' }]);
    expect(bobRoom.disconnects).toBe(1);
    await call.leave(); // already over: nothing more
    expect([ended.length, bobRoom.disconnects]).toEqual([1, 1]);
  });

  it('a LiveKit connect that fails hangs the started call up again: the room can start a new one', async () => {
    const { alice, roomId } = await sfuRoom();
    await expect(SfuCall.start(alice.sb, roomId, new RoomOnFake(lk, true))).rejects.toThrow(/signal connection/);
    const again = await SfuCall.start(alice.sb, roomId, new RoomOnFake(lk));
    expect(again.callId).toEqual(expect.any(String));
    await again.leave();
  });

  it('identityOf splits a Switchboard LiveKit identity and refuses others', () => {
    expect(SfuCall.identityOf('ada:c-1')).toEqual({ userId: 'ada', connectionId: 'c-1' });
    expect(SfuCall.identityOf('no-colon')).toBeNull();
    expect(SfuCall.identityOf(':c-1')).toBeNull();
    expect(SfuCall.identityOf('ada:')).toBeNull();
  });
});
