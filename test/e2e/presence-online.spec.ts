import { connect, type NatsConnection } from '@nats-io/transport-node';
import { SwitchboardClient } from '@switchboard/client/node';
import { startGateway } from '@switchboard/gateway/service';
import { callUnary, grpcClient } from '@switchboard/platform';
import { bus, presence } from '@switchboard/proto';
import { startPresence } from '@switchboard/presence/service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GRPC_SECRET, Stack, testEnv, uid, until } from '../support/stack.js';
import { NATS_TEST_PASSWORD, NATS_TEST_USER } from '../support/infra.js';
import { slot } from '../support/slot.js';

/**
 * Every presence spec starts its replicas with this same environment: replicas of all spec
 * files running at once share one NATS queue group and one Redis, so they must agree.
 */
const PRESENCE_ENV = { PRESENCE_TTL_MS: '3000', PRESENCE_LIVENESS_INTERVAL_MS: '500', PRESENCE_SWEEP_MS: '200', SESSION_POLICY: 'device' };
// Generous command timeout: the suite shares a small, busy machine.
const GATEWAY_ENV = { RATE_PER_SEC: '5000', RATE_BURST: '5000', REQUEST_TIMEOUT_MS: '10000' };

type Changed = { userId: string; status: string; lastSeen: number; text?: string; devices?: string[] };
const changedFor = (c: SwitchboardClient, userId: string) => c.events.filter((e) => e.type === 'presence.changed' && (e.data as Changed).userId === userId).map((e) => e.data as Changed);

describe('presence across two gateway replicas and two presence replicas', () => {
  const stack = new Stack();
  let gwA: Awaited<ReturnType<typeof startGateway>>;
  let gwB: Awaited<ReturnType<typeof startGateway>>;
  let pr1: Awaited<ReturnType<typeof startPresence>>;
  let nc: NatsConnection;
  const gone: { connectionId: string; userId: string; reason: string; nodeId: string; sessionId: string }[] = [];

  beforeAll(async () => {
    pr1 = await stack.add(startPresence(testEnv(PRESENCE_ENV)));
    await stack.add(startPresence(testEnv(PRESENCE_ENV)));
    gwA = await stack.add(startGateway(testEnv(GATEWAY_ENV)));
    gwB = await stack.add(startGateway(testEnv(GATEWAY_ENV)));
    nc = await connect({ servers: slot().natsUrl, user: NATS_TEST_USER, pass: NATS_TEST_PASSWORD });
    stack.onStop(() => nc.close());
    nc.subscribe('sb.sys.conn.gone', { callback: (_e, m) => void gone.push(JSON.parse(Buffer.from(bus.Event.decode(m.data).data).toString())) });
  });
  afterAll(() => stack.stop());

  const query = async (c: SwitchboardClient, userId: string) => (await c.request('presence.query', { userIds: [userId] })).presence[userId];

  it('is online while any device is connected, offline (with lastSeen) when the last one goes', async () => {
    const user = uid('multi');
    const watcher = await stack.client(gwB);
    const first = await watcher.request('presence.subscribe', { userIds: [user] });
    expect(first.presence[user]).toMatchObject({ status: 'offline', devices: [] });

    const phone = await stack.client(gwA, user, { claims: { device: 'phone' } });
    const online = await watcher.waitFor<Changed>('presence.changed', (e) => e.data.userId === user && e.data.status === 'online');
    expect(online.data.devices).toEqual(['phone']);

    const laptop = await stack.client(gwB, user, { claims: { device: 'laptop' } });
    await until(async () => (await query(watcher, user)).devices.length === 2, 'second device listed');
    expect(await query(watcher, user)).toMatchObject({ status: 'online', devices: ['laptop', 'phone'] });

    await phone.close();
    await until(async () => (await query(watcher, user)).devices.join() === 'laptop', 'phone gone');
    expect(changedFor(watcher, user).map((c) => c.status)).toEqual(['online']); // still online: no event

    const before = Date.now();
    await laptop.close();
    const offline = await watcher.waitFor<Changed>('presence.changed', (e) => e.data.userId === user && e.data.status === 'offline');
    expect(offline.data.lastSeen).toBeGreaterThanOrEqual(before - 50);
    expect(offline.data.devices).toEqual([]);
    expect(await query(watcher, user)).toMatchObject({ status: 'offline', lastSeen: offline.data.lastSeen });
    expect(changedFor(watcher, user).map((c) => c.status)).toEqual(['online', 'offline']);
    // Each closed connection produced exactly one conn.gone, reason closed.
    await until(() => gone.filter((g) => g.userId === user).length === 2, 'two conn.gone');
    expect(gone.filter((g) => g.userId === user).map((g) => [g.connectionId, g.reason]).sort()).toEqual(
      [
        [phone.hello.connectionId, 'closed'],
        [laptop.hello.connectionId, 'closed'],
      ].sort(),
    );
    expect(gone.find((g) => g.connectionId === phone.hello.connectionId)).toMatchObject({ sessionId: phone.hello.sessionId, nodeId: gwA.platform.config.NODE_ID });
  });

  it('shows invisible users as offline to others, with statuses and text otherwise', async () => {
    const user = uid('inv');
    const watcher = await stack.client(gwA);
    await watcher.request('presence.subscribe', { userIds: [user] });
    const me = await stack.client(gwB, user, { claims: { device: 'desk' } });
    await watcher.waitFor('presence.changed', (e) => (e.data as Changed).userId === user && (e.data as Changed).status === 'online');

    await me.request('presence.set', { status: 'invisible' });
    await watcher.waitFor('presence.changed', (e) => (e.data as Changed).userId === user && (e.data as Changed).status === 'offline');
    expect(await query(watcher, user)).toEqual({ status: 'offline', lastSeen: expect.any(Number), devices: [] });
    expect(await query(me, user)).toMatchObject({ status: 'invisible', devices: ['desk'] });

    await me.request('presence.set', { status: 'away', text: 'lunch' });
    const away = await watcher.waitFor<Changed>('presence.changed', (e) => e.data.userId === user && e.data.status === 'away');
    expect(away.data).toMatchObject({ text: 'lunch', devices: ['desk'] });
    // Same visible state again: nobody is told.
    await me.request('presence.set', { status: 'away', text: 'lunch' });
    await me.request('presence.set', { status: 'busy' });
    await watcher.waitFor('presence.changed', (e) => (e.data as Changed).userId === user && (e.data as Changed).status === 'busy');
    expect(changedFor(watcher, user).map((c) => c.status)).toEqual(['online', 'offline', 'away', 'busy']);

    // Invisible again looks offline; disconnecting afterwards changes nothing others see.
    await me.request('presence.set', { status: 'invisible' });
    await until(() => changedFor(watcher, user).length === 5, 'offline again');
    expect(changedFor(watcher, user)[4].status).toBe('offline');
    await me.close();
    await until(() => gone.some((g) => g.connectionId === me.hello.connectionId), 'conn.gone');
    expect(changedFor(watcher, user)).toHaveLength(5);
  });

  it('fans changes out only to subscribed connections, on either replica, and stops after unsubscribe', async () => {
    const user = uid('fan');
    const w1 = await stack.client(gwA);
    const w2 = await stack.client(gwB);
    const bystander = await stack.client(gwB);
    await w1.request('presence.subscribe', { userIds: [user, uid('nobody')] });
    await w2.request('presence.subscribe', { userIds: [user] });
    const u = await stack.client(gwA, user, { claims: { device: 'phone' } });
    await w1.waitFor('presence.changed', (e) => (e.data as Changed).userId === user);
    await w2.waitFor('presence.changed', (e) => (e.data as Changed).userId === user);

    await w2.request('presence.unsubscribe', { userIds: [user] });
    await u.request('presence.set', { status: 'busy' });
    await w1.waitFor('presence.changed', (e) => (e.data as Changed).userId === user && (e.data as Changed).status === 'busy');
    // w2's reply to a later command arrives after any event published before it was sent.
    await w2.request('ping');
    await bystander.request('ping');
    expect(changedFor(w2, user).map((c) => c.status)).toEqual(['online']);
    expect(bystander.events.filter((e) => e.type === 'presence.changed')).toEqual([]);
  });

  it('replaces the older session of the same device across replicas (policy "device")', async () => {
    const user = uid('dup');
    const oldPhone = await stack.client(gwA, user, { claims: { device: 'phone' } });
    const laptop = await stack.client(gwA, user, { claims: { device: 'laptop' } });
    await until(async () => (await query(laptop, user)).devices.length === 2, 'both devices online');
    const newPhone = await stack.client(gwB, user, { claims: { device: 'phone' } });

    const replaced = await oldPhone.waitFor('session.replaced');
    expect(replaced.data).toEqual({ by: newPhone.hello.connectionId });
    expect(await oldPhone.closed()).toBe(4002);
    expect(oldPhone.closeReason).toBe('replaced');
    await until(() => gone.some((g) => g.connectionId === oldPhone.hello.connectionId), 'old phone gone');
    expect((await laptop.request('ping')).ts).toBeGreaterThan(0);
    expect((await newPhone.request('ping')).ts).toBeGreaterThan(0);
    expect(laptop.events.some((e) => e.type === 'session.replaced')).toBe(false);
    expect(await query(laptop, user)).toMatchObject({ status: 'online', devices: ['laptop', 'phone'] });
  });

  it('serves QueryPresence, ListConnections and Disconnect over gRPC', async () => {
    const user = uid('grpc');
    const c = await stack.client(gwB, user, { claims: { device: 'tablet' } });
    const client = grpcClient(presence.PresenceServiceClient, `127.0.0.1:${pr1.grpcPort}`, GRPC_SECRET);
    stack.onStop(async () => client.close());
    await until(async () => (await callUnary(client, client.queryPresence, { userIds: [user] }, 5000)).presence[0]?.status === 'online', 'online over gRPC');
    const listed = await callUnary(client, client.listConnections, { userId: user }, 5000);
    expect(listed.connections).toEqual([
      { connectionId: c.hello.connectionId, userId: user, sessionId: c.hello.sessionId, nodeId: gwB.platform.config.NODE_ID, device: 'tablet', connectedAt: expect.any(Number) },
    ]);
    await expect(callUnary(client, client.listConnections, { userId: 'a.b' }, 5000)).rejects.toMatchObject({ code: 'bad_request' });
    await expect(callUnary(client, client.queryPresence, { userIds: Array.from({ length: 501 }, (_, i) => `u${i}`) }, 5000)).rejects.toMatchObject({ code: 'bad_request' });

    const res = await callUnary(client, client.disconnect, { userId: user, connectionId: '', reason: 'test' }, 5000);
    expect(res.disconnected).toBe(1);
    expect((await c.waitFor('session.closed')).data).toEqual({ reason: 'test' });
    expect(await c.closed()).toBe(4003);
    expect((await callUnary(client, client.queryPresence, { userIds: [user] }, 5000)).presence[0].status).toBe('offline');
  });

  it('answers hostile input with bad_request and keeps serving', async () => {
    const c = await stack.client(gwA);
    const tooMany = Array.from({ length: 501 }, (_, i) => `u${i}`);
    await expect(c.request('presence.subscribe', { userIds: tooMany })).rejects.toMatchObject({ code: 'bad_request' });
    await expect(c.request('presence.query', { userIds: ['a.b'] })).rejects.toMatchObject({ code: 'bad_request' });
    await expect(c.request('presence.query', { userIds: [] })).rejects.toMatchObject({ code: 'bad_request' });
    await expect(c.request('presence.set', { status: 'asleep' })).rejects.toMatchObject({ code: 'bad_request' });
    await expect(c.request('presence.set', { status: 'away', text: 'x'.repeat(201) })).rejects.toMatchObject({ code: 'bad_request' });
    await expect(c.request('relay.register', { capacity: -1 })).rejects.toMatchObject({ code: 'bad_request' });
    await expect(c.request('relay.update_load', { connected: 1 })).rejects.toMatchObject({ code: 'not_found' });
    await expect(c.request('rendezvous.register', { daily: [{ point: 'short', deadDrop: 'x' }] })).rejects.toMatchObject({ code: 'bad_request' });
    await expect(c.request('rendezvous.register', { hourly: Array.from({ length: 33 }, (_, i) => `token-${i}-xxxx`) })).rejects.toMatchObject({ code: 'bad_request' });

    // Internal verb with garbage, straight on NATS: typed error, no crash.
    const caller = { userId: '', connectionId: '', sessionId: '', nodeId: 'x', name: '', device: '', roles: [] };
    for (const data of [Buffer.from('{not json'), Buffer.from(JSON.stringify({ nodeId: 'a.b', bootId: 'b', count: -1 })), Buffer.from('[]')]) {
      const msg = await nc.request('sb.cmd.presence.liveness.report', bus.Command.encode({ verb: 'liveness.report', caller, data }).finish(), { timeout: 5000 });
      expect(bus.CommandReply.decode(msg.data).error?.code).toBe('bad_request');
    }
    expect((await c.request('presence.query', { userIds: [c.hello.userId] })).presence[c.hello.userId].status).toBe('online');
  });
});
