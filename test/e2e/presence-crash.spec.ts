import { connect, type NatsConnection } from '@nats-io/transport-node';
import { startGateway } from '@switchboard/gateway/service';
import { bus } from '@switchboard/proto';
import { startPresence } from '@switchboard/presence/service';
import { startRooms } from '@switchboard/rooms/service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Stack, testEnv, uid, until } from '../support/stack.js';
import { NATS_TEST_PASSWORD, NATS_TEST_USER } from '../support/infra.js';
import { slot } from '../support/slot.js';

/** Same environment as every presence spec (replicas of concurrent spec files share a queue group). */
const PRESENCE_ENV = { PRESENCE_TTL_MS: '3000', PRESENCE_LIVENESS_INTERVAL_MS: '500', PRESENCE_SWEEP_MS: '200', SESSION_POLICY: 'device' };
const TTL_MS = Number(PRESENCE_ENV.PRESENCE_TTL_MS);
/** Sweep period, event hops and a loaded CI machine. */
const GRACE_MS = 4000;

/**
 * A gateway process killed with SIGKILL says nothing: its reports stop, presence expires its
 * connections, watchers elsewhere see the user go offline and rooms drop the participant.
 * Needs `npx tsc -b` first (the gateway runs from dist/).
 */
describe('gateway crash', () => {
  const stack = new Stack();
  let nc: NatsConnection;
  const gone: { connectionId: string; reason: string }[] = [];

  beforeAll(async () => {
    await stack.add(startPresence(testEnv(PRESENCE_ENV)));
    await stack.add(startRooms(testEnv({ DISCONNECT_GRACE_MS: '500' })));
    nc = await connect({ servers: slot().natsUrl, user: NATS_TEST_USER, pass: NATS_TEST_PASSWORD });
    stack.onStop(() => nc.close());
    nc.subscribe('sb.sys.conn.gone', { callback: (_e, m) => void gone.push(JSON.parse(Buffer.from(bus.Event.decode(m.data).data).toString())) });
  });
  afterAll(() => stack.stop());

  it('SIGKILLed gateway: its users go offline within TTL + grace and leave their rooms', async () => {
    const survivorGw = await stack.add(startGateway(testEnv()));
    const doomed = await stack.process('gateway', testEnv());
    const victimId = uid('victim');
    const watcher = await stack.client(survivorGw);
    await watcher.request('presence.subscribe', { userIds: [victimId] });
    const victim = await stack.client(doomed, victimId, { claims: { device: 'phone' } });
    await watcher.waitFor('presence.changed', (e) => (e.data as { userId: string; status: string }).userId === victimId && (e.data as { status: string }).status === 'online');
    const { room } = await watcher.request('room.create', { name: 'crash', kind: 'group', joinPolicy: 'open' });
    await victim.request('room.join', { roomId: room.id });
    await watcher.waitFor('room.participant_joined', (e) => e.room === room.id);

    await doomed.kill('SIGKILL');
    const offline = await watcher.waitFor('presence.changed', (e) => (e.data as { userId: string; status: string }).userId === victimId && (e.data as { status: string }).status === 'offline', TTL_MS + GRACE_MS);
    expect(offline.data).toMatchObject({ userId: victimId, status: 'offline', devices: [] });
    await until(() => gone.some((g) => g.connectionId === victim.hello.connectionId), 'conn.gone');
    expect(gone.filter((g) => g.connectionId === victim.hello.connectionId)).toEqual([expect.objectContaining({ reason: 'expired' })]);

    // Rooms consumes conn.gone and removes the participant after its own resume grace.
    const left = await watcher.waitFor('room.participant_left', (e) => e.room === room.id, 500 + GRACE_MS);
    expect(left.data).toMatchObject({ userId: victimId, connectionId: victim.hello.connectionId, reason: 'disconnected' });
    const got = await watcher.request('room.get', { roomId: room.id });
    expect(got.participants.map((p: { userId: string }) => p.userId)).toEqual([watcher.hello.userId]);
  });
});
