import { startGateway } from '@switchboard/gateway/service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Stack, testEnv, uid, until } from '@switchboard/testing/stack';

/** Issue 2: a dead rooms service makes commands fail fast with `unavailable`; a restart heals. */
describe('rooms service outage', () => {
  const stack = new Stack();
  const REQUEST_TIMEOUT_MS = 1500;
  let gw: Awaited<ReturnType<typeof startGateway>>;

  beforeAll(async () => {
    gw = await stack.add(startGateway(testEnv({ REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS) })));
  });
  afterAll(() => stack.stop());

  it('fails with unavailable while the process is dead, and works again after a restart', async () => {
    const env = testEnv();
    const rooms = await stack.process('rooms', env);
    const client = await stack.client(gw, uid('alice'));
    // The gateway's short request timeout is for the outage below; a cold rooms process on a
    // loaded machine may miss it for its first commands, so those wait until it answers.
    const created = await until(() => client.request('room.create', { name: 'before', kind: 'group', joinPolicy: 'open' }), 'rooms answers room.create', 30_000);

    await rooms.kill('SIGKILL');
    const started = Date.now();
    await expect(client.request('room.get', { roomId: created.room.id })).rejects.toMatchObject({ code: 'unavailable' });
    // Fails within the request timeout (no responders is usually immediate), never hangs.
    expect(Date.now() - started).toBeLessThan(REQUEST_TIMEOUT_MS + 2000);
    expect((await client.request('ping')).ts).toBeGreaterThan(0);

    await stack.process('rooms', { ...env, NODE_ID: uid('node') });
    const got = await until(() => client.request('room.get', { roomId: created.room.id }), 'the restarted rooms answers room.get', 30_000);
    expect(got.room).toMatchObject({ id: created.room.id, name: 'before' });
  });
});
