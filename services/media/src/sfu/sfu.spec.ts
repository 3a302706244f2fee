import { createHash } from 'node:crypto';
import { callUnary, grpcClient, type Caller } from '@switchboard/platform';
import { media } from '@switchboard/proto';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeLivekit } from '@switchboard/testing/livekit-fake';
import { GRPC_SECRET, MediaHarness, uid, until } from '../testing/harness.test.js';

const API_KEY = 'sfu-test-key';
const API_SECRET = 'sfu-test-secret-sfu-test-secret';

interface Grant {
  url: string;
  token: string;
  expiresAt: number;
}

/**
 * The SFU domain against the contract-faithful LiveKit fake (packages/testing/src/livekit-fake.ts): two
 * media replicas, webhooks to one of them, real rooms service, NATS, Redis.
 */
describe('SFU through LiveKit (fake)', () => {
  let h: MediaHarness;
  let lk: FakeLivekit;
  let grpc: media.MediaServiceClient;
  const env = () => ({
    LIVEKIT_URL: lk.url,
    LIVEKIT_API_KEY: API_KEY,
    LIVEKIT_API_SECRET: API_SECRET,
    LIVEKIT_TOKEN_TTL_S: '120',
    LIVEKIT_EMPTY_TIMEOUT_S: '33',
    LIVEKIT_DEPARTURE_TIMEOUT_S: '4',
    LIVEKIT_REQUEST_TIMEOUT_MS: '1500',
    LIVEKIT_RECONCILE_INTERVAL_MS: '600000',
  });
  const webhookUrl = (i = 0) => `http://127.0.0.1:${h.media[i].httpPort}/livekit/webhook`;

  beforeAll(async () => {
    lk = await FakeLivekit.start({ apiKey: API_KEY, apiSecret: API_SECRET, webhookRetries: 2 });
    h = await MediaHarness.start(2, { env: env() });
    lk.setWebhookUrl(webhookUrl());
    grpc = grpcClient(media.MediaServiceClient, `127.0.0.1:${h.media[1].grpcPort}`, GRPC_SECRET);
  });
  afterAll(async () => {
    grpc.close();
    await h.stop();
    await lk.stop();
  });

  const tokenFor = (c: Caller, roomId: string) => h.req<Grant>('media.token', c, { roomId });
  const claims = (g: Grant) => decodeJwt(g.token) as { sub: string; exp: number; video: Record<string, unknown>; metadata: string };
  /** A client joining LiveKit with a fresh media.token (and publishing a camera). */
  const joinSfu = async (c: Caller, roomId: string, publish = false) => {
    const g = await tokenFor(c, roomId);
    const p = await lk.join(g.token);
    if (publish) await lk.publish(roomId, p.identity, 'video');
    return { grant: g, identity: p.identity };
  };
  const inSfu = (roomId: string, identity: string) => !!lk.participant(roomId, identity);

  it('grants follow role and state: identity user:connection, roomJoin for that room only, roomAdmin for staff, no canPublish while muted', async () => {
    const { roomId, owner, members } = await h.roomWith(2, { maxParticipants: 9 });
    const [alice, bob] = members;
    await h.rooms.req('room.set_role', owner, { roomId, userId: bob.userId, role: 'moderator' });

    const before = Date.now();
    const ownerGrant = await tokenFor(owner, roomId);
    expect(ownerGrant.url).toBe(lk.url);
    expect(ownerGrant.expiresAt).toBeGreaterThanOrEqual(before + 120_000);
    expect(ownerGrant.expiresAt).toBeLessThanOrEqual(Date.now() + 120_000);
    const o = claims(ownerGrant);
    expect(o.sub).toBe(`${owner.userId}:${owner.connectionId}`);
    expect(o.video).toMatchObject({ room: roomId, roomJoin: true, roomAdmin: true, canPublish: true, canSubscribe: true });
    expect(o.video.roomCreate).toBeUndefined();
    expect(o.video.roomList).toBeUndefined();
    expect(JSON.parse(o.metadata)).toEqual({ userId: owner.userId, connectionId: owner.connectionId, epoch: 0 });

    expect(claims(await tokenFor(bob, roomId)).video).toMatchObject({ roomAdmin: true, canPublish: true });
    const a = claims(await tokenFor(alice, roomId)).video;
    expect(a).toMatchObject({ room: roomId, roomJoin: true, canPublish: true });
    expect(a.roomAdmin).toBeFalsy();

    await h.rooms.req('room.mute', owner, { roomId, userId: alice.userId, muted: true });
    expect(claims(await tokenFor(alice, roomId)).video.canPublish).toBe(false);

    // non-members, banned and kicked users, closed and unknown rooms
    expect(await h.code('media.token', h.caller(), { roomId })).toBe('forbidden');
    await h.rooms.req('room.ban', owner, { roomId, userId: alice.userId });
    expect(await h.code('media.token', alice, { roomId })).toBe('forbidden');
    await h.rooms.req('room.kick', owner, { roomId, userId: bob.userId });
    expect(await h.code('media.token', bob, { roomId })).toBe('forbidden');
    expect(await h.code('media.token', owner, { roomId: uid('nope') })).toBe('not_found');
  });

  it('creates the LiveKit room on first use (get-or-create, sized like the Switchboard room) and deletes it when the room closes', async () => {
    const { roomId, owner, members } = await h.roomWith(1, { maxParticipants: 6 });
    const log = await h.rooms.watchRoom(roomId);
    await tokenFor(owner, roomId);
    await tokenFor(members[0], roomId);
    const creates = lk.calls.filter((c) => c.method === 'CreateRoom' && c.body.name === roomId);
    expect(creates.length).toBe(2);
    expect(creates[0].body).toMatchObject({ name: roomId, maxParticipants: 6, emptyTimeout: 33, departureTimeout: 4 });
    expect(creates[0].grant).toMatchObject({ roomCreate: true });
    expect(lk.hasRoom(roomId)).toBe(true);

    const { identity } = await joinSfu(members[0], roomId);
    await log.waitFor('media.participant_joined', (e) => e.data.identity === identity);
    await h.rooms.req('room.close', owner, { roomId });
    await until(() => !lk.hasRoom(roomId), 'LiveKit room deleted');
    expect(lk.calls.some((c) => c.method === 'DeleteRoom' && c.body.room === roomId)).toBe(true);
    const finished = await log.waitFor('media.room_finished');
    expect(finished.data).toEqual({ roomId });
    const left = log.of('media.participant_left');
    expect(left.map((e) => e.data.userId)).toEqual([members[0].userId]);
    expect(left[0].seq).toBeLessThan(finished.seq);
    expect(await h.code('media.token', owner, { roomId })).toBe('not_found');
  });

  it('room.mute mutes the member\'s published tracks in LiveKit and takes canPublish away; unmute gives it back', async () => {
    const { roomId, owner, members } = await h.roomWith(1);
    const [alice] = members;
    const log = await h.rooms.watchRoom(roomId);
    const { identity } = await joinSfu(alice, roomId, true);
    // Media has seen the track: otherwise its join-time check may revoke publishing first, and the
    // mute then finds no track to mute (a race of the test, not of the behaviour).
    await log.waitFor('media.track_published', (e) => e.data.identity === identity);
    await h.rooms.req('room.mute', owner, { roomId, userId: alice.userId, muted: true });
    // LiveKit unpublishes tracks of a participant that loses canPublish (after we muted them)
    await until(() => lk.participant(roomId, identity)?.permission?.canPublish === false && lk.participant(roomId, identity)?.tracks.length === 0, 'tracks stopped, publishing revoked');
    await log.waitFor('media.track_unpublished', (e) => e.data.identity === identity);
    const muteCalls = lk.calls.filter((c) => c.method === 'MutePublishedTrack' && c.body.identity === identity);
    expect(muteCalls).toHaveLength(1);
    expect(muteCalls[0].body).toMatchObject({ room: roomId, muted: true });
    expect(muteCalls[0].grant).toMatchObject({ roomAdmin: true, room: roomId });
    await expect(lk.publish(roomId, identity, 'audio')).rejects.toThrow(/permission/);

    await h.rooms.req('room.mute', owner, { roomId, userId: alice.userId, muted: false });
    await until(() => lk.participant(roomId, identity)?.permission?.canPublish === true, 'publishing allowed again');
  });

  it('a muted member whose token predates the mute loses canPublish as soon as LiveKit reports the join', async () => {
    const { roomId, owner, members } = await h.roomWith(1);
    const [alice] = members;
    const early = await tokenFor(alice, roomId);
    await h.rooms.req('room.mute', owner, { roomId, userId: alice.userId, muted: true });
    const p = await lk.join(early.token);
    await until(() => lk.participant(roomId, p.identity)?.permission?.canPublish === false, 'publish revoked on join');
  });

  it('push-to-talk over the SFU: only the floor holder may publish while holding; publishing comes back on release and timeout (ADR 0055)', async () => {
    const { roomId, members } = await h.roomWith(2);
    const [alice, bob] = members;
    const a = await joinSfu(alice, roomId, true);
    const b = await joinSfu(bob, roomId, true);
    const canPublish = (identity: string) => lk.participant(roomId, identity)?.permission?.canPublish;
    await until(() => canPublish(a.identity) !== undefined && canPublish(b.identity) !== undefined, 'both in LiveKit');
    await h.rooms.req('floor.request', alice, { roomId });
    await until(() => canPublish(b.identity) === false, 'bob may not publish while alice holds the floor');
    expect(canPublish(a.identity)).toBe(true);
    // (The harness' lease is 1.5 s: alice refreshes it, as a talking client does.)
    await h.rooms.req('floor.request', alice, { roomId });
    // A token minted while alice holds the floor does not publish; alice's does.
    expect(claims(await tokenFor(bob, roomId)).video.canPublish).toBe(false);
    expect(claims(await tokenFor(alice, roomId)).video.canPublish).toBe(true);
    await h.rooms.req('floor.release', alice, { roomId });
    await until(() => canPublish(b.identity) === true, 'publishing back for bob after the release');
    expect(claims(await tokenFor(bob, roomId)).video.canPublish).toBe(true);
    // Bob takes it: alice loses publishing until bob's lease times out (the rooms harness' short FLOOR_TTL_MS).
    await h.rooms.req('floor.request', bob, { roomId });
    await until(() => canPublish(a.identity) === false && canPublish(b.identity) === true, 'only bob publishes');
    await until(() => canPublish(a.identity) === true, 'publishing back for alice after the lease lapsed', 20_000);
  });

  it('room.kick removes the participant from LiveKit, and a token minted before the kick does not let them back in', async () => {
    const { roomId, owner, members } = await h.roomWith(1);
    const [bob] = members;
    const log = await h.rooms.watchRoom(roomId);
    const { grant, identity } = await joinSfu(bob, roomId, true);
    const joined = await log.waitFor('media.participant_joined', (e) => e.data.identity === identity);
    expect(joined.data).toMatchObject({ userId: bob.userId, connectionId: bob.connectionId, identity });
    await log.waitFor('media.track_published', (e) => e.data.identity === identity);

    await h.rooms.req('room.kick', owner, { roomId, userId: bob.userId });
    await until(() => !inSfu(roomId, identity), 'kicked participant removed from LiveKit');
    expect(lk.calls.some((c) => c.method === 'RemoveParticipant' && c.body.identity === identity)).toBe(true);
    await log.waitFor('media.participant_left', (e) => e.data.identity === identity);

    // the old token still verifies in LiveKit (it has not expired) but the join check throws it out
    await h.rooms.req('room.join', bob, { roomId });
    await lk.join(grant.token);
    await until(() => !inSfu(roomId, identity), 'stale token removed on join');
    // a fresh token after rejoining works
    const again = await joinSfu(bob, roomId);
    await log.waitFor('media.participant_joined', (e) => e.data.identity === again.identity && e.seq > joined.seq);
    expect(inSfu(roomId, again.identity)).toBe(true);
  });

  it('room.ban removes every device of the user; leave removes that connection', async () => {
    const { roomId, owner, members } = await h.roomWith(1);
    const [carol] = members;
    const phone = await h.rooms.joined(roomId, carol.userId);
    const a = await joinSfu(carol, roomId);
    const b = await joinSfu(phone, roomId);
    await h.rooms.req('room.leave', phone, { roomId });
    await until(() => !inSfu(roomId, b.identity), 'left connection removed');
    expect(inSfu(roomId, a.identity)).toBe(true);
    await h.rooms.req('room.ban', owner, { roomId, userId: carol.userId });
    await until(() => !inSfu(roomId, a.identity), 'banned user removed');
  });

  it('ends the room\'s call when the room closes, and when a leg is kicked', async () => {
    const one = await h.roomWith(1);
    const log1 = await h.rooms.watchRoom(one.roomId);
    const { callId } = await h.req('call.start', one.owner, { roomId: one.roomId, media: 'video', mode: 'sfu' });
    await h.req('call.accept', one.members[0], { callId });
    await h.rooms.req('room.kick', one.owner, { roomId: one.roomId, userId: one.members[0].userId });
    expect((await log1.waitFor('call.ended')).data).toEqual({ callId, reason: 'removed', by: one.members[0].userId });

    const two = await h.roomWith(1);
    const log2 = await h.rooms.watchRoom(two.roomId);
    const call2 = await h.req('call.start', two.owner, { roomId: two.roomId, media: 'audio', mode: 'p2p' });
    await h.rooms.req('room.close', two.owner, { roomId: two.roomId });
    expect((await log2.waitFor('call.ended')).data).toEqual({ callId: call2.callId, reason: 'room_closed' });
  });

  describe('webhooks', () => {
    const post = async (body: string, authorization?: string, contentType = 'application/webhook+json') =>
      fetch(webhookUrl(1), { method: 'POST', headers: { 'content-type': contentType, ...(authorization ? { authorization } : {}) }, body });
    const joinedEvent = (roomId: string, identity: string, id = uid('EV')) =>
      JSON.stringify({ event: 'participant_joined', id, createdAt: String(Math.floor(Date.now() / 1000)), room: { name: roomId, sid: 'RM_x' }, participant: { sid: uid('PA'), identity, metadata: '' } });

    it('accepts a signed webhook and refuses unsigned, tampered, stale and foreign-key ones (401)', async () => {
      const { roomId, members } = await h.roomWith(1);
      const log = await h.rooms.watchRoom(roomId);
      const identity = `${members[0].userId}:${members[0].connectionId}`;
      const body = joinedEvent(roomId, identity);
      const tampered = body.replace(members[0].userId, uid('mallory'));
      expect((await post(body)).status).toBe(401);
      expect((await post(tampered, await lk.signWebhook(body))).status).toBe(401);
      expect((await post(body, await lk.signWebhook(body, { expiresInS: -60 }))).status).toBe(401);
      expect((await post(body, await lk.signWebhook(body, { secret: 'another-secret-another-secret' }))).status).toBe(401);
      expect((await post(body, `Bearer ${await lk.signWebhook(body)}`)).status).toBe(401);
      expect(log.of('media.participant_joined')).toHaveLength(0);

      const ok = await post(body, await lk.signWebhook(body));
      expect(ok.status).toBe(200);
      const e = await log.waitFor('media.participant_joined');
      expect(e.data).toMatchObject({ userId: members[0].userId, connectionId: members[0].connectionId, identity });
      // sha256 of exactly these bytes is what the signature covers
      expect(createHash('sha256').update(body).digest('base64')).toBe((decodeJwt(await lk.signWebhook(body)) as { sha256: string }).sha256);
    });

    it('ignores signed events for rooms not named like ours (a room name becomes a NATS subject)', async () => {
      const body = joinedEvent('bad.room.>', 'u:c');
      expect(await (await post(body, await lk.signWebhook(body))).json()).toEqual({ outcome: 'ignored' });
    });

    it('refuses bodies over LIVEKIT_WEBHOOK_MAX_BYTES (413) without reading them into memory', async () => {
      const res = await post('x'.repeat(300 * 1024), 'whatever');
      expect(res.status).toBe(413);
    });

    it('drops a redelivered event id (dedupe) and handles LiveKit\'s retry after a failed delivery', async () => {
      const { roomId, members } = await h.roomWith(2);
      const log = await h.rooms.watchRoom(roomId);
      const identity = `${members[0].userId}:${members[0].connectionId}`;
      const body = joinedEvent(roomId, identity);
      const auth = await lk.signWebhook(body);
      expect(await (await post(body, auth)).json()).toEqual({ outcome: 'published' });
      expect(await (await post(body, auth)).json()).toEqual({ outcome: 'duplicate' });
      await log.waitFor('media.participant_joined');
      expect(log.of('media.participant_joined')).toHaveLength(1);

      // the first delivery of a real join is lost; LiveKit's retry (same id) gets through once
      const g = await tokenFor(members[1], roomId);
      lk.dropWebhooks(1);
      const { identity: second } = await lk.join(g.token);
      await lk.idle();
      const delivery = lk.webhooks.find((w) => w.event === 'participant_joined' && w.delivered && w.attempts === 2);
      expect(delivery).toBeDefined();
      await log.waitFor('media.participant_joined', (e) => e.data.identity === second);
      expect(log.of('media.participant_joined', (e) => e.data.identity === second)).toHaveLength(1);
    });
  });

  it('reconciles after a restart: missed joins are announced (and checked), ghosts leave', async () => {
    const { roomId, members } = await h.roomWith(2);
    const log = await h.rooms.watchRoom(roomId);
    const ghost = await joinSfu(members[0], roomId);
    await log.waitFor('media.participant_joined', (e) => e.data.identity === ghost.identity);
    // media stops hearing from LiveKit: a leave and a join are missed
    await lk.idle();
    lk.setWebhookUrl(undefined);
    await lk.leave(roomId, ghost.identity);
    const missed = await joinSfu(members[1], roomId);
    expect(log.of('media.participant_joined', (e) => e.data.identity === missed.identity)).toHaveLength(0);

    const restarted = await h.addReplica({ env: env() });
    lk.setWebhookUrl(`http://127.0.0.1:${restarted.httpPort}/livekit/webhook`);
    const left = await log.waitFor('media.participant_left', (e) => e.data.identity === ghost.identity);
    expect(left.data.reason).toBe('reconciled');
    await log.waitFor('media.participant_joined', (e) => e.data.identity === missed.identity);
    expect(inSfu(roomId, missed.identity)).toBe(true);
    lk.setWebhookUrl(webhookUrl());
  });

  it('LiveKit failing, slow or gone → typed unavailable, never a crash', async () => {
    const { roomId, owner } = await h.roomWith(0);
    lk.fail('CreateRoom', { status: 503, code: 'unavailable' });
    const e1 = await h.error('media.token', owner, { roomId });
    expect(e1.code).toBe('unavailable');
    lk.fail('CreateRoom', { status: 500, code: 'internal' });
    expect(await h.code('media.token', owner, { roomId })).toBe('unavailable');
    lk.fail('CreateRoom', { delayMs: 3000, status: 200 });
    expect(await h.code('media.token', owner, { roomId })).toBe('unavailable');
    lk.clearFaults();
    expect(await h.code('media.token', owner, { roomId })).toBe('ok');
    // an SFU call start fails the same way and creates no call
    lk.fail('*', { status: 503 });
    expect(await h.code('call.start', owner, { roomId, media: 'video', mode: 'sfu' })).not.toBe('ok');
    lk.clearFaults();
    // the replicas still answer
    expect(await h.code('media.token', owner, { roomId })).toBe('ok');
  });

  it('admin gRPC: lists a room\'s SFU participants, mutes one, removes one', async () => {
    const { roomId, members } = await h.roomWith(1);
    const { identity } = await joinSfu(members[0], roomId, true);
    const list = await callUnary(grpc, grpc.listSfuParticipants, { roomId }, 5000);
    expect(list.participants).toEqual([expect.objectContaining({ identity, userId: members[0].userId, connectionId: members[0].connectionId, canPublish: true, tracks: [expect.objectContaining({ kind: 'video', source: 'camera', muted: false })] })]);
    expect(await callUnary(grpc, grpc.muteSfuParticipant, { roomId, identity, muted: true }, 5000)).toEqual({ tracksMuted: 1 });
    expect(lk.calls.filter((c) => c.method === 'MutePublishedTrack' && c.body.identity === identity)).toHaveLength(1);
    expect(lk.participant(roomId, identity)?.permission?.canPublish).toBe(false);
    expect(lk.participant(roomId, identity)?.tracks).toEqual([]);
    await callUnary(grpc, grpc.removeSfuParticipant, { roomId, identity }, 5000);
    expect(inSfu(roomId, identity)).toBe(false);
    await expect(callUnary(grpc, grpc.removeSfuParticipant, { roomId, identity }, 5000)).rejects.toMatchObject({ code: 'not_found' });
    await expect(callUnary(grpc, grpc.listSfuParticipants, { roomId: 'bad id!' }, 5000)).rejects.toMatchObject({ code: 'bad_request' });
  });
});

describe('SFU without LiveKit configured', () => {
  let h: MediaHarness;
  beforeAll(async () => {
    h = await MediaHarness.start(1, { env: { LIVEKIT_UNAVAILABLE_REASON: 'go is not installed' } });
  });
  afterAll(() => h.stop());

  it('answers media.token and SFU calls with unavailable saying why, and /readyz names the reason while staying ready', async () => {
    const { roomId, owner } = await h.roomWith(1);
    const err = (await h.error('media.token', owner, { roomId })) as { code: string; message?: string };
    expect(err.code).toBe('unavailable');
    expect(err.message).toContain('go is not installed');
    expect(await h.code('call.start', owner, { roomId, media: 'video', mode: 'sfu' })).toBe('unavailable');
    const ready = await (await fetch(`http://127.0.0.1:${h.media[0].httpPort}/readyz`)).json();
    expect(ready).toMatchObject({ ready: true, notes: { sfu: expect.stringContaining('go is not installed') } });
    expect((await fetch(`http://127.0.0.1:${h.media[0].httpPort}/livekit/webhook`, { method: 'POST', body: '{}' })).status).toBe(404);
  });
});

describe('SFU reconcile, periodically', () => {
  let h: MediaHarness;
  let lk: FakeLivekit;
  beforeAll(async () => {
    lk = await FakeLivekit.start({ apiKey: API_KEY, apiSecret: API_SECRET });
    h = await MediaHarness.start(2, { env: { LIVEKIT_URL: lk.url, LIVEKIT_API_KEY: API_KEY, LIVEKIT_API_SECRET: API_SECRET, LIVEKIT_RECONCILE_INTERVAL_MS: '300' } });
    lk.setWebhookUrl(`http://127.0.0.1:${h.media[0].httpPort}/livekit/webhook`);
    // the replicas of the describe above (10 min interval) may still hold the shared lock
    await h.media[0].platform.redis!.del('sb:media:sfu:reconcile_lock');
  });
  afterAll(async () => {
    await h.stop();
    await lk.stop();
  });

  it('a leave whose webhook never arrives is repaired by a running replica, without a restart', async () => {
    const { roomId, members } = await h.roomWith(1);
    const log = await h.rooms.watchRoom(roomId);
    const grant = await h.req<Grant>('media.token', members[0], { roomId });
    const p = await lk.join(grant.token);
    await log.waitFor('media.participant_joined', (e) => e.data.identity === p.identity);
    await lk.idle();
    lk.setWebhookUrl(undefined);
    await lk.leave(roomId, p.identity);
    const left = await log.waitFor('media.participant_left', (e) => e.data.identity === p.identity);
    expect(left.data.reason).toBe('reconciled');
    expect(log.of('media.participant_left', (e) => e.data.identity === p.identity)).toHaveLength(1);
  });
});
